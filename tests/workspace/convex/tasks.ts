import { v } from "convex/values";
import { api, internal } from "./_generated/api";
import { internalMutation, mutation, query } from "./_generated/server";

const status = v.union(v.literal("todo"), v.literal("doing"), v.literal("done"));

export const list = query({
  args: { status: v.optional(status) },
  handler: async (ctx, args) => {
    if (args.status !== undefined) {
      return await ctx.db
        .query("tasks")
        .withIndex("by_status", (q) => q.eq("status", args.status!))
        .collect();
    }
    return await ctx.db.query("tasks").order("desc").collect();
  },
});

export const urgent = query({
  args: { atLeast: v.number() },
  returns: v.array(v.string()),
  handler: async (ctx, { atLeast }) => {
    const rows = await ctx.db
      .query("tasks")
      .withIndex("by_priority", (q) => q.gte("priority", atLeast))
      .filter((q) => q.neq(q.field("status"), "done"))
      .take(10);
    return rows.map((t) => t.text);
  },
});

export const create = mutation({
  args: { text: v.string(), priority: v.optional(v.number()) },
  handler: async (ctx, { text, priority }) => {
    console.log("creating task", text);
    return await ctx.db.insert("tasks", { text, status: "todo", priority: priority ?? 1 });
  },
});

export const setStatus = mutation({
  args: { id: v.id("tasks"), status },
  handler: async (ctx, { id, status }) => {
    await ctx.db.patch(id, { status });
  },
});

// Writes, then throws: the write must never be seen.
export const createThenFail = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    await ctx.db.insert("tasks", { text, status: "todo", priority: 0 });
    throw new Error("refusing to keep " + text);
  },
});

export const archiveDone = internalMutation({
  args: {},
  handler: async (ctx) => {
    const done = await ctx.db
      .query("tasks")
      .withIndex("by_status", (q) => q.eq("status", "done"))
      .collect();
    for (const task of done) {
      await ctx.db.delete(task._id);
    }
    console.info("archived", done.length);
    return done.length;
  },
});

// Schedules the internal mutation: the sandbox's scheduler runs pushed functions too.
export const archiveLater = mutation({
  args: { delayMs: v.number() },
  handler: async (ctx, { delayMs }) => {
    return await ctx.scheduler.runAfter(delayMs, internal.tasks.archiveDone, {});
  },
});

// Time and randomness are fixed per execution inside queries and mutations; env comes from
// the deployment's environment variables.
export const stamp = query({
  args: {},
  handler: async () => {
    const now = Date.now();
    const random = Math.random();
    return { now, later: new Date().getTime(), random, greeting: process.env.GREETING ?? null };
  },
});

// ctx.runQuery inside a mutation runs in the same transaction: it sees the insert.
export const createAndCount = mutation({
  args: { text: v.string() },
  handler: async (ctx, { text }): Promise<number> => {
    await ctx.db.insert("tasks", { text, status: "todo", priority: 1 });
    const all = await ctx.runQuery(api.tasks.list, {});
    return all.length;
  },
});

// Reads a scheduled job through ctx.db.system (the `_scheduled_functions` table).
export const jobState = query({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => (await ctx.db.system.get(id))?.state.kind ?? null,
});
