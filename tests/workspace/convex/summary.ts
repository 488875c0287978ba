"use node";

import { createHash } from "node:crypto";
import { v } from "convex/values";
import { api } from "./_generated/api";
import { action, internalAction } from "./_generated/server";

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

// Kills its own process: the sandbox must fail the call at once and carry on with a new host.
export const crash = internalAction({
  args: {},
  handler: async () => {
    process.exit(3);
  },
});
