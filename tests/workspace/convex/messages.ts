import { paginationOptsValidator } from "convex/server";
import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const list = query({
  args: {},
  handler: async (ctx) => {
    const messages = await ctx.db.query("messages").order("desc").take(50);
    return messages.reverse();
  },
});

export const send = mutation({
  args: { author: v.string(), body: v.string() },
  handler: async (ctx, { author, body }) => {
    if (body.trim() === "") {
      throw new ConvexError({ code: "EMPTY", message: "a message needs a body" });
    }
    const identity = await ctx.auth.getUserIdentity();
    console.warn("message from", identity?.subject ?? author);
    return await ctx.db.insert("messages", { author, body });
  },
});

// What usePaginatedQuery calls: pages over the messages, oldest first.
export const page = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) =>
    await ctx.db.query("messages").order("asc").paginate(paginationOpts),
});

// Text search over the message bodies, most relevant first.
export const search = query({
  args: { text: v.string() },
  handler: async (ctx, { text }) =>
    await ctx.db
      .query("messages")
      .withSearchIndex("search_body", (q) => q.search("body", text))
      .take(10),
});
