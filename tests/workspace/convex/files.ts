import { v } from "convex/values";
import { api } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

// The upload flow of the Convex docs: a URL to POST the bytes to, then save the storage id.
export const generateUploadUrl = mutation({
  args: {},
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

export const save = mutation({
  args: { storageId: v.id("_storage"), name: v.string() },
  handler: async (ctx, { storageId, name }) => await ctx.db.insert("uploads", { storageId, name }),
});

export const url = query({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => await ctx.storage.getUrl(id),
});

// The file's metadata the recommended way: the `_storage` system table.
export const meta = query({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => await ctx.db.system.get(id),
});

// The deprecated way (hex sha256, the file's UUID as storageId).
export const legacyMeta = query({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => await ctx.storage.getMetadata(id),
});

export const list = query({
  args: {},
  handler: async (ctx) => {
    const uploads = await ctx.db.query("uploads").withIndex("by_name").collect();
    return await Promise.all(
      uploads.map(async (u) => ({
        name: u.name,
        size: (await ctx.db.system.get(u.storageId))?.size ?? null,
        url: await ctx.storage.getUrl(u.storageId),
      })),
    );
  },
});

export const all = query({
  args: {},
  handler: async (ctx) => await ctx.db.system.query("_storage").order("asc").collect(),
});

// Deletes the file and every upload row naming it.
export const remove = mutation({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }) => {
    await ctx.storage.delete(id);
    const rows = await ctx.db
      .query("uploads")
      .withIndex("by_storage", (q) => q.eq("storageId", id))
      .collect();
    for (const row of rows) await ctx.db.delete(row._id);
    return rows.length;
  },
});

// ctx.storage.store in an action, then save it through a mutation.
export const storeText = action({
  args: { text: v.string(), name: v.string() },
  handler: async (ctx, { text, name }): Promise<string> => {
    const storageId = await ctx.storage.store(new Blob([text], { type: "text/plain" }));
    await ctx.runMutation(api.files.save, { storageId, name });
    return storageId;
  },
});

export const readText = action({
  args: { id: v.id("_storage") },
  handler: async (ctx, { id }): Promise<string | null> => {
    const blob = await ctx.storage.get(id);
    return blob === null ? null : await blob.text();
  },
});
