import { authTables } from "@convex-dev/auth/server";
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  ...authTables,
  tasks: defineTable({
    text: v.string(),
    status: v.union(v.literal("todo"), v.literal("doing"), v.literal("done")),
    priority: v.number(),
    userId: v.optional(v.id("users")),
  })
    .index("by_status", ["status"])
    .index("by_priority", ["priority"])
    .index("by_user", ["userId"]),
  // One row: the last time the `tick` cron ran.
  ticks: defineTable({ at: v.number() }),
  messages: defineTable({
    author: v.string(),
    body: v.string(),
  }).searchIndex("search_body", { searchField: "body" }),
});
