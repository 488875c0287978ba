import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Inserts `count` items of one bucket with ranks from..from+count-1.
export const fill = mutation({
  args: { bucket: v.number(), from: v.number(), count: v.number() },
  handler: async (ctx, { bucket, from, count }) => {
    for (let rank = from; rank < from + count; rank++) {
      await ctx.db.insert("items", { bucket, rank, label: `b${bucket}-r${rank}` });
    }
    return count;
  },
});

// An index range: equality on the first field, bounds on the second, either order.
export const range = query({
  args: {
    bucket: v.number(),
    min: v.optional(v.number()),
    max: v.optional(v.number()),
    order: v.optional(v.union(v.literal("asc"), v.literal("desc"))),
    limit: v.number(),
  },
  handler: async (ctx, { bucket, min, max, order, limit }) => {
    const rows = await ctx.db
      .query("items")
      .withIndex("by_bucket_rank", (q) => {
        const eq = q.eq("bucket", bucket);
        if (min !== undefined && max !== undefined) return eq.gte("rank", min).lt("rank", max);
        if (min !== undefined) return eq.gte("rank", min);
        if (max !== undefined) return eq.lt("rank", max);
        return eq;
      })
      .order(order ?? "asc")
      .take(limit);
    return rows.map((r) => r.label);
  },
});

export const first = query({
  args: { bucket: v.number(), order: v.union(v.literal("asc"), v.literal("desc")) },
  handler: async (ctx, { bucket, order }) =>
    (
      await ctx.db
        .query("items")
        .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket))
        .order(order)
        .first()
    )?.label ?? null,
});

// `.unique()` throws when two documents match.
export const at = query({
  args: { bucket: v.number(), rank: v.number() },
  handler: async (ctx, { bucket, rank }) =>
    (
      await ctx.db
        .query("items")
        .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket).eq("rank", rank))
        .unique()
    )?.label ?? null,
});

export const page = query({
  args: { bucket: v.number(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { bucket, paginationOpts }) =>
    await ctx.db
      .query("items")
      .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket))
      .paginate(paginationOpts),
});

// A whole bucket (the bench's `collect()`, allowed to scale with the bucket).
export const count = query({
  args: { bucket: v.number() },
  handler: async (ctx, { bucket }) =>
    (
      await ctx.db
        .query("items")
        .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket))
        .collect()
    ).length,
});

// Every item: a full `collect()` of the table (the bench's scaling case).
export const total = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("items").collect()).length,
});

// The same question without the index: a filtered table scan.
export const scan = query({
  args: { bucket: v.number(), limit: v.number() },
  handler: async (ctx, { bucket, limit }) => {
    const rows = await ctx.db
      .query("items")
      .filter((q) => q.and(q.eq(q.field("bucket"), bucket), q.gte(q.field("rank"), 0)))
      .take(limit);
    return rows.map((r) => r.label);
  },
});

export const relabel = mutation({
  args: { bucket: v.number(), rank: v.number(), label: v.string() },
  handler: async (ctx, { bucket, rank, label }) => {
    const row = await ctx.db
      .query("items")
      .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket).eq("rank", rank))
      .unique();
    if (row === null) return false;
    await ctx.db.patch(row._id, { label, rank: rank + 1000 });
    return true;
  },
});

export const clear = mutation({
  args: { bucket: v.number() },
  handler: async (ctx, { bucket }) => {
    const rows = await ctx.db
      .query("items")
      .withIndex("by_bucket_rank", (q) => q.eq("bucket", bucket))
      .collect();
    for (const r of rows) await ctx.db.delete(r._id);
    return rows.length;
  },
});
