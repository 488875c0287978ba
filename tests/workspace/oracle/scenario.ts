// The call sequence compare.test.ts runs against convex-test and against the sandbox.
//
// Known differences, kept out of the comparison on purpose (each is tested against the sandbox
// alone in tests/sandbox/test_backend_features.py):
// - Text search order: convex-test returns matches in creation order, the backend (and the
//   sandbox) by relevance; search results are compared as sets here. convex-test also
//   prefix-matches every query term, the backend only the last one: the queries below use one
//   term.
// - A page that ends exactly on the last document: convex-test says isDone, the backend
//   (read_page_from_query) says not done and returns an empty, done page next. The page sizes
//   below never end a page exactly on the last document.
// - Vector search runs in convex-test; the sandbox refuses it, naming the feature.
// - ctx.storage.getMetadata (deprecated) is missing from convex-test; the sandbox answers it.
// - `_scheduled_functions`: convex-test names a job `tasks:archiveDone` and keeps no
//   completedTime; the backend's virtual table (model/src/scheduled_jobs/virtual_table.rs), like
//   the sandbox, has the canonical `tasks.js:archiveDone` and a completedTime. TABLE_SHAPES
//   compares the rest.

export interface Target {
  name: "convex-test" | "sandbox";
  call(kind: "query" | "mutation" | "action", path: string, args: any, who?: string): Promise<any>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  settle(): Promise<void>;
  dump(table: string): Promise<any[]>;
  isId(s: string): boolean;
}

export interface Step {
  label: string;
  covers: string[]; // the workspace functions this step calls
  run(t: Target, saved: Record<string, any>): Promise<any>;
  save?: string;
  shape?: (raw: any) => any;
  only?: Target["name"];
  unsupported?: Partial<Record<Target["name"], RegExp>>;
}

type Args = Record<string, any> | ((saved: Record<string, any>) => Record<string, any>);
type Opts = Pick<Step, "save" | "shape" | "unsupported"> & { who?: string; label?: string };

function call(kind: "query" | "mutation" | "action", path: string, args: Args, opts: Opts = {}): Step {
  return {
    label: opts.label ?? `${kind} ${path} ${typeof args === "function" ? "(saved)" : JSON.stringify(args)}`,
    covers: [path],
    run: (t, saved) => t.call(kind, path, typeof args === "function" ? args(saved) : args, opts.who),
    save: opts.save,
    shape: opts.shape,
    unsupported: opts.unsupported,
  };
}

const q = (path: string, args: Args, opts?: Opts) => call("query", path, args, opts);
const m = (path: string, args: Args, opts?: Opts) => call("mutation", path, args, opts);
const a = (path: string, args: Args, opts?: Opts) => call("action", path, args, opts);

function http(
  method: string,
  path: string | ((saved: Record<string, any>) => string),
  route: string,
  body?: string,
  save?: string,
): Step {
  return {
    label: `http ${method} ${typeof path === "string" ? path : route}`,
    covers: [`http ${method} ${route}`],
    run: async (t, saved) => {
      const res = await t.fetch(typeof path === "string" ? path : path(saved), { method, body });
      const text = await res.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      return {
        status: res.status,
        body: json ?? text,
        echoPath: res.headers.get("x-echo-path"),
        contentType: res.headers.get("content-type")?.split(";")[0] ?? null,
      };
    },
    save,
  };
}

const titles = (r: string[]) => [...r].sort();
const bodies = (r: any[]) => r.map((m) => m.body).sort();

export const STEPS: Step[] = [
  // --- tasks: writes, an index equality, a range + filter, rollback, time, a scheduled job ---
  m("tasks:create", { text: "write docs", priority: 3 }, { save: "t1" }),
  m("tasks:create", { text: "ship", priority: 5 }, { save: "t2" }),
  m("tasks:create", { text: "rest" }),
  q("tasks:list", {}),
  m("tasks:setStatus", (s) => ({ id: s.t2, status: "doing" })),
  q("tasks:list", { status: "doing" }),
  q("tasks:urgent", { atLeast: 3 }),
  m("tasks:createThenFail", { text: "ghost" }),
  m("tasks:create", { text: 5 }, { label: "tasks:create with a bad argument" }),
  q("tasks:stamp", {}, {
    shape: (r) => ({ now: typeof r.now, frozen: r.now === r.later, random: typeof r.random, greeting: r.greeting }),
  }),
  m("tasks:createAndCount", { text: "counted" }),
  m("tasks:setStatus", (s) => ({ id: s.t1, status: "done" })),
  m("tasks:archiveLater", { delayMs: 0 }, { save: "job" }),
  { label: "scheduled functions finish", covers: [], run: (t) => t.settle() },
  q("tasks:jobState", (s) => ({ id: s.job })),
  q("tasks:list", { status: "done" }),
  m("tasks:archiveDone", {}),
  // --- messages: ConvexError data, identity, pagination, text search ---
  m("messages:send", { author: "ann", body: "hello world" }),
  m("messages:send", { author: "ann", body: "   " }),
  m("messages:send", { author: "bob", body: "hello again" }, { who: "user-7" }),
  m("messages:send", { author: "cy", body: "goodbye world" }),
  q("messages:list", {}),
  q("messages:page", { paginationOpts: { numItems: 2, cursor: null } }, { save: "mp1" }),
  q("messages:page", (s) => ({ paginationOpts: { numItems: 2, cursor: s.mp1.continueCursor } })),
  q("messages:search", { text: "world" }, { shape: bodies }),
  q("messages:search", { text: "hel" }, { shape: bodies, label: "messages:search by a prefix" }),
  // --- a Node action, a cron's mutation ---
  a("summary:digest", { salt: "s" }),
  m("ticks:record", {}),
  q("ticks:last", {}, { shape: (r) => typeof r }),
  // --- items: a two-field index, ranges both ways, first/unique, pages, a moved key ---
  m("items:fill", { bucket: 1, from: 0, count: 7 }),
  m("items:fill", { bucket: 2, from: 0, count: 3 }),
  q("items:range", { bucket: 1, limit: 100 }),
  q("items:range", { bucket: 1, min: 2, max: 5, limit: 10 }),
  q("items:range", { bucket: 1, min: 2, order: "desc", limit: 3 }),
  q("items:range", { bucket: 1, max: 3, order: "desc", limit: 10 }),
  q("items:range", { bucket: 9, limit: 10 }),
  q("items:first", { bucket: 1, order: "asc" }),
  q("items:first", { bucket: 1, order: "desc" }),
  q("items:first", { bucket: 9, order: "desc" }),
  q("items:at", { bucket: 1, rank: 4 }),
  m("items:fill", { bucket: 2, from: 1, count: 1 }),
  q("items:at", { bucket: 2, rank: 1 }, { label: "items:at with two matches (unique() throws)" }),
  q("items:page", { bucket: 1, paginationOpts: { numItems: 3, cursor: null } }, { save: "ip1" }),
  q("items:page", (s) => ({ bucket: 1, paginationOpts: { numItems: 3, cursor: s.ip1.continueCursor } }), {
    save: "ip2",
  }),
  q("items:page", (s) => ({ bucket: 1, paginationOpts: { numItems: 3, cursor: s.ip2.continueCursor } })),
  q("items:count", { bucket: 1 }),
  q("items:total", {}),
  q("items:scan", { bucket: 2, limit: 10 }),
  m("items:relabel", { bucket: 1, rank: 3, label: "moved" }),
  q("items:range", { bucket: 1, limit: 100 }, { label: "items:range after a key moved" }),
  m("items:clear", { bucket: 2 }),
  // --- files: store in an action, URLs, metadata, reading back, delete ---
  a("files:storeText", { text: "hello file", name: "greeting" }, { save: "f1" }),
  a("files:storeText", { text: "second file", name: "second" }, { save: "f2" }),
  q("files:url", (s) => ({ id: s.f1 })),
  q("files:meta", (s) => ({ id: s.f1 })),
  q("files:legacyMeta", (s) => ({ id: s.f1 }), {
    unsupported: { "convex-test": /does not support async syscall: "1.0\/storageGetMetadata"/ },
  }),
  q("files:list", {}),
  q("files:all", {}),
  a("files:readText", (s) => ({ id: s.f1 })),
  m("files:generateUploadUrl", {}),
  m("files:save", (s) => ({ storageId: s.f2, name: "again" })),
  m("files:remove", (s) => ({ id: s.f2 })),
  a("files:readText", (s) => ({ id: s.f2 }), { label: "files:readText of a deleted file" }),
  q("files:url", (s) => ({ id: s.f2 }), { label: "files:url of a deleted file" }),
  // --- documents: RAG ingestion from a file, text search with a filter field, vector search ---
  m("documents:add", { title: "fox", text: "the quick brown fox", topic: "animals" }),
  m("documents:add", { title: "dog", text: "a lazy dog sleeps", topic: "animals" }),
  m("documents:add", { title: "car", text: "quick cars are fast", topic: "machines" }),
  a("documents:fromFile", (s) => ({ fileId: s.f1, title: "from file", topic: "files" })),
  q("documents:search", { text: "quick" }, { shape: titles }),
  q("documents:search", { text: "quick", topic: "animals" }, { shape: titles }),
  q("documents:search", { text: "hello" }),
  q("documents:search", { text: "zebra" }),
  q("documents:byTopic", { topic: "animals" }),
  a("documents:similar", { vector: [1, 0, 0, 0] }, {
    unsupported: { sandbox: /Vector search \(ctx\.vectorSearch\) is not supported by the convex-tui sandbox/ },
  }),
  // --- HTTP actions: routes, a prefix route, upload and download through ctx.storage ---
  http("GET", "/hello?name=oracle", "/hello"),
  http("GET", "/tasks/count", "/tasks/count"),
  http("POST", "/echo/a/b", "/echo/*", "payload"),
  http("POST", "/upload?name=via-http", "/upload", "uploaded bytes", "u"),
  http("GET", (s) => `/file?id=${s.u.body.storageId}`, "/file"),
];

export const SKIPPED: Record<string, string> = {
  "summary:crash": "exits its own process on purpose (it would end vitest); test_deploy_cli.py runs it",
};

// How a table's documents are compared (default: whole documents).
export const TABLE_SHAPES: Record<string, (doc: any) => any> = {
  _scheduled_functions: (job) => ({
    name: String(job.name).replace(/\.js:/, ":"),
    args: job.args,
    state: job.state,
  }),
};

// Tables compared after the scenario (`ticks` is written by the sandbox's cron every second).
export const TABLES = [
  "tasks",
  "messages",
  "documents",
  "uploads",
  "items",
  "users",
  "authAccounts",
  "_storage",
  "_scheduled_functions",
];
