"use node";

import { createHash } from "node:crypto";
import { v } from "convex/values";
import { api } from "./_generated/api";
import { action } from "./_generated/server";

// A Node action that needs no network: digests the task list it reads through ctx.runQuery.
export const digest = action({
  args: { salt: v.string() },
  handler: async (ctx, { salt }): Promise<{ count: number; sha256: string }> => {
    const tasks = await ctx.runQuery(api.tasks.list, {});
    const hash = createHash("sha256");
    hash.update(salt);
    for (const t of tasks) hash.update(t.text);
    return { count: tasks.length, sha256: hash.digest("hex") };
  },
});
