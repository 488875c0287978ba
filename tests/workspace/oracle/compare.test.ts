// The second oracle: the same sequence of calls runs against convex-test (a JS model of the
// backend's semantics) and against a convex-tui sandbox that `convex dev --once` pushed this
// workspace to; results, errors and table contents must agree after normalisation (ids, times,
// cursors and URLs are opaque and differ by design). Every function of the workspace is called
// or listed in SKIPPED with the reason. Run by tests/sandbox/test_oracle.py, which sets
// SANDBOX_URL, SANDBOX_SITE_URL and SANDBOX_ADMIN_KEY.
import { convexTest } from "convex-test";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { expect, test } from "vitest";
import schema from "../convex/schema";
import { Step, STEPS, SKIPPED, TABLE_SHAPES, TABLES, Target } from "./scenario";

const modules = import.meta.glob("../convex/**/*.*s");
const URL_ = process.env.SANDBOX_URL ?? "";
const SITE = process.env.SANDBOX_SITE_URL ?? "";
const KEY = process.env.SANDBOX_ADMIN_KEY ?? "";

type Kind = "query" | "mutation" | "action";

function oracle(): Target {
  const t = convexTest(schema, modules);
  const as = (who?: string) => (who ? t.withIdentity({ subject: who, issuer: "https://x" }) : t);
  return {
    name: "convex-test",
    call: (kind: Kind, path: string, args: any, who?: string) => {
      const target = as(who);
      if (kind === "query") return target.query(makeFunctionReference<"query">(path), args);
      if (kind === "mutation") return target.mutation(makeFunctionReference<"mutation">(path), args);
      return target.action(makeFunctionReference<"action">(path), args);
    },
    fetch: (path: string, init?: RequestInit) => t.fetch(path, init),
    settle: async () => await t.finishAllScheduledFunctions(() => {}),
    dump: async (table: string) =>
      await t.run(async (ctx: any) => {
        if (table === "_storage" || table === "_scheduled_functions")
          return await ctx.db.system.query(table).order("asc").collect();
        return await ctx.db.query(table).order("asc").collect();
      }),
    isId: (s: string) => /^\d{5,}[A-Za-z_]\w*$/.test(s),
  };
}

function sandbox(): Target {
  const client = (who?: string) => {
    const c = new ConvexHttpClient(URL_);
    (c as any).setAdminAuth(KEY, who ? { subject: who, issuer: "https://x" } : undefined);
    return c;
  };
  const admin = client();
  return {
    name: "sandbox",
    call: (kind: Kind, path: string, args: any, who?: string) => {
      const c = who ? client(who) : admin;
      if (kind === "query") return c.query(makeFunctionReference<"query">(path), args);
      if (kind === "mutation") return c.mutation(makeFunctionReference<"mutation">(path), args);
      return c.action(makeFunctionReference<"action">(path), args);
    },
    fetch: (path: string, init?: RequestInit) => fetch(SITE + path, init),
    settle: async () => {
      // Scheduled jobs run on the sandbox's own timers: wait (bounded) until none is pending.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const jobs: any[] = await dumpSandbox(admin, "_scheduled_functions");
        if (!jobs.some((j) => j.state.kind === "pending" || j.state.kind === "inProgress")) return;
        if (Date.now() > deadline) throw new Error("scheduled functions still pending after 20 s");
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    dump: (table: string) => dumpSandbox(admin, table),
    isId: (s: string) => /^[0-9a-hjkmnp-tv-z]{31,37}$/.test(s),
  };
}

async function dumpSandbox(c: ConvexHttpClient, table: string): Promise<any[]> {
  const tableData = makeFunctionReference<"query">("_system/cli/tableData");
  const out: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page: any = await c.query(tableData, {
      table,
      order: "asc",
      paginationOpts: { numItems: 500, cursor },
    });
    out.push(...page.page);
    if (page.isDone) return out;
    cursor = page.continueCursor;
  }
  throw new Error(`${table}: too many pages`);
}

// --- normalisation ---------------------------------------------------------------------------

const OPAQUE_KEYS = new Set(["_creationTime", "continueCursor", "splitCursor", "scheduledTime", "completedTime"]);

class Normalizer {
  ids = new Map<string, string>();
  constructor(readonly target: Target) {}

  id(s: string): string {
    if (!this.ids.has(s)) this.ids.set(s, `<id${this.ids.size}>`);
    return this.ids.get(s)!;
  }

  text(s: string): string {
    if (this.target.isId(s)) return this.id(s);
    if (/^https?:\/\//.test(s)) return "<url>";
    return s.replace(/\b[0-9a-z_]{20,40}\b/g, (m) => (this.target.isId(m) ? this.id(m) : m));
  }

  value(v: any, key?: string): any {
    if (key !== undefined && OPAQUE_KEYS.has(key)) return v === null || v === undefined ? v : "<opaque>";
    if (typeof v === "string") return this.text(v);
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof ArrayBuffer) return `<bytes ${v.byteLength}>`;
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v !== null && typeof v === "object") {
      const out: Record<string, any> = {};
      for (const k of Object.keys(v).sort()) out[k] = this.value(v[k], k);
      return out;
    }
    return v;
  }

  error(e: any): any {
    if (e instanceof ConvexError || (e && e.data !== undefined)) return { convexError: this.value(e.data) };
    let message = String(e?.message ?? e);
    message = message.replace(/^\[Request ID: [^\]]*\] Server Error\n/, "");
    message = message.replace(/^Uncaught (Convex)?Error: /, "").split("\n")[0].trim();
    if (/^(ArgumentValidationError|Validator error)/.test(message)) return { error: "ArgumentValidationError" };
    return { error: this.text(message) };
  }
}

async function run(target: Target): Promise<any[]> {
  const norm = new Normalizer(target);
  const saved: Record<string, any> = {};
  const transcript: any[] = [];
  for (const step of STEPS) {
    transcript.push({ step: step.label, ...(await runStep(target, norm, step, saved)) });
  }
  const tables: Record<string, any> = {};
  for (const table of TABLES) {
    const docs = await target.dump(table);
    tables[table] = norm.value(TABLE_SHAPES[table] ? docs.map(TABLE_SHAPES[table]) : docs);
  }
  transcript.push({ tables });
  return transcript;
}

async function runStep(target: Target, norm: Normalizer, step: Step, saved: Record<string, any>) {
  if (step.only !== undefined && step.only !== target.name) return { skipped: step.only };
  let raw: any;
  try {
    raw = await step.run(target, saved);
  } catch (e) {
    if (step.unsupported?.[target.name]) {
      const message = String((e as any)?.message ?? e);
      expect(message).toMatch(step.unsupported[target.name]!);
      return { unsupportedBy: target.name === "sandbox" ? "sandbox" : "convex-test" };
    }
    return norm.error(e);
  }
  if (step.unsupported?.[target.name]) {
    throw new Error(`${step.label}: expected ${target.name} to refuse it, got ${JSON.stringify(raw)}`);
  }
  if (step.save) saved[step.save] = raw;
  return { result: norm.value(step.shape ? step.shape(raw) : raw) };
}

test("convex-test and the sandbox agree on every workspace function", async () => {
  expect(URL_, "SANDBOX_URL is not set: run tests/sandbox/test_oracle.py").not.toBe("");
  const expected = await run(oracle());
  const actual = await run(sandbox());
  if (process.env.ORACLE_REPORT) {
    // Both transcripts, for reading a failure (or checking what was compared).
    const { writeFileSync } = await import("node:fs");
    writeFileSync(process.env.ORACLE_REPORT, JSON.stringify({ expected, actual }, null, 1));
  }
  for (let i = 0; i < expected.length; i++) {
    const ours = actual[i];
    const theirs = expected[i];
    // Steps one side cannot run are documented in the scenario; compare the rest.
    if (ours?.unsupportedBy || theirs?.unsupportedBy || ours?.skipped || theirs?.skipped) continue;
    expect(ours, `step ${i}: ${theirs?.step ?? "tables"}`).toEqual(theirs);
  }
  // Coverage: every function the push exposes is in the scenario or skipped with a reason.
  const admin = new ConvexHttpClient(URL_);
  (admin as any).setAdminAuth(KEY);
  const listing: any[] = await admin.query(makeFunctionReference<"query">("_system/frontend/modules:list"), {});
  const called = new Set(STEPS.flatMap((s) => s.covers));
  const missing: string[] = [];
  for (const [module, info] of listing) {
    for (const fn of info.functions) {
      const name =
        fn.udfType === "HttpAction" ? `http ${fn.name}` : `${module.replace(/\.js$/, "")}:${fn.name}`;
      if (!called.has(name) && !(name in SKIPPED)) missing.push(name);
    }
  }
  expect(missing, "functions neither in the scenario nor in SKIPPED").toEqual([]);
});
