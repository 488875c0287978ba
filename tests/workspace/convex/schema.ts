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
  // RAG-style documents: text search with a filter field, an optional source file, and an
  // embedding whose vector index the sandbox declares unsupported at call time.
  documents: defineTable({
    title: v.string(),
    text: v.string(),
    topic: v.string(),
    fileId: v.optional(v.id("_storage")),
    embedding: v.optional(v.array(v.float64())),
  })
    .index("by_topic", ["topic"])
    .searchIndex("search_text", { searchField: "text", filterFields: ["topic"] })
    .vectorIndex("by_embedding", { vectorField: "embedding", dimensions: 4 }),
  // Uploaded files and the names they were saved under.
  uploads: defineTable({ storageId: v.id("_storage"), name: v.string() })
    .index("by_name", ["name"])
    .index("by_storage", ["storageId"]),
  // Rows for index semantics (a two-field index) and the 100 vs 100,000 document bench.
  items: defineTable({ bucket: v.number(), rank: v.number(), label: v.string() }).index(
    "by_bucket_rank",
    ["bucket", "rank"],
  ),
});
