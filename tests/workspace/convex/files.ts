import { v } from "convex/values";
import { Id } from "./_generated/dataModel";
import { query } from "./_generated/server";

// File storage is not in the sandbox yet: calling this must fail fast, naming the feature.
export const url = query({
  args: { id: v.string() },
  handler: async (ctx, { id }) => await ctx.storage.getUrl(id as Id<"_storage">),
});
