import { v } from "convex/values";
import { api } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

export const add = mutation({
  args: { title: v.string(), text: v.string(), topic: v.string(), fileId: v.optional(v.id("_storage")) },
  handler: async (ctx, args) => await ctx.db.insert("documents", args),
});

// Full text search, most relevant first, optionally within one topic.
export const search = query({
  args: { text: v.string(), topic: v.optional(v.string()) },
  handler: async (ctx, { text, topic }) => {
    const hits = await ctx.db
      .query("documents")
      .withSearchIndex("search_text", (q) =>
        topic === undefined ? q.search("text", text) : q.search("text", text).eq("topic", topic),
      )
      .take(10);
    return hits.map((d) => d.title);
  },
});

export const byTopic = query({
  args: { topic: v.string() },
  handler: async (ctx, { topic }) => {
    const docs = await ctx.db
      .query("documents")
      .withIndex("by_topic", (q) => q.eq("topic", topic))
      .collect();
    return docs.map((d) => d.title);
  },
});

// RAG ingestion: a stored text file becomes a searchable document.
export const fromFile = action({
  args: { fileId: v.id("_storage"), title: v.string(), topic: v.string() },
  handler: async (ctx, { fileId, title, topic }): Promise<string> => {
    const blob = await ctx.storage.get(fileId);
    if (blob === null) throw new Error(`no file ${fileId}`);
    return await ctx.runMutation(api.documents.add, { title, text: await blob.text(), topic, fileId });
  },
});

// Vector search: the sandbox has no vector index; the call fails naming the feature.
export const similar = action({
  args: { vector: v.array(v.float64()) },
  handler: async (ctx, { vector }) => {
    const hits = await ctx.vectorSearch("documents", "by_embedding", { vector, limit: 3 });
    return hits.length;
  },
});
