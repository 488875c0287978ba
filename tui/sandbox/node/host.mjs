// The sandbox's Node host: loads one push's bundled modules and runs their exports the way the
// backend's node-executor does (invokeQuery / invokeMutation / invokeAction on the registered
// function objects). Every syscall is a blocking round trip to the Python sandbox over two pipes
// (argv[2]: the fd requests come in on, argv[3]: the fd messages go out on), so a query or mutation runs start to end without the
// host ever interleaving two executions; the Python side owns storage and transactions.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const IN_FD = Number(process.argv[2]);
const OUT_FD = Number(process.argv[3]);
const realDate = Date;
const realRandom = Math.random;
const realConsole = globalThis.console;
let pending = Buffer.alloc(0);

function send(message) {
  const data = Buffer.from(JSON.stringify(message) + "\n");
  let off = 0;
  while (off < data.length) off += fs.writeSync(OUT_FD, data, off);
}

function receive() {
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString();
      pending = pending.subarray(nl + 1);
      return JSON.parse(line);
    }
    const chunk = Buffer.alloc(65536);
    let n;
    try {
      n = fs.readSync(IN_FD, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) process.exit(0); // the sandbox went away
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

class SyscallError extends Error {}

function roundTrip(op, argsJson) {
  send({ t: "syscall", op, args: argsJson });
  const reply = receive();
  if (reply.error !== undefined) {
    const err = new SyscallError(reply.error);
    if (reply.data !== undefined) err.data = reply.data;
    throw err;
  }
  return reply.ok;
}

// queryStreamNext is asked once per document; fetch documents in batches instead, so a
// .collect() of N documents costs about N/1024 round trips, not N. Batches start small (a
// .first() reads one index row) and double up to MAX_BATCH.
const FIRST_BATCH = 64;
const MAX_BATCH = 1024;
const streams = new Map();

function streamNext(argsJson) {
  const { queryId } = JSON.parse(argsJson);
  let buffered = streams.get(queryId);
  if (!buffered || (buffered.values.length === 0 && !buffered.done)) {
    const count = buffered ? Math.min(buffered.count * 2, MAX_BATCH) : FIRST_BATCH;
    const reply = JSON.parse(roundTrip("sandbox/queryStreamBatch", JSON.stringify({ queryId, count })));
    buffered = { values: reply.values, done: reply.done, count };
    streams.set(queryId, buffered);
  }
  if (buffered.values.length > 0) return JSON.stringify({ value: buffered.values.shift(), done: false });
  streams.delete(queryId);
  return JSON.stringify({ value: null, done: true });
}

globalThis.Convex = {
  syscall: (op, argsJson) => {
    if (op === "1.0/queryCleanup") streams.delete(JSON.parse(argsJson).queryId);
    return roundTrip(op, argsJson);
  },
  asyncSyscall: async (op, argsJson) =>
    op === "1.0/queryStreamNext" ? streamNext(argsJson) : roundTrip(op, argsJson),
  // ctx.storage.store/get in actions hand Blobs to the runtime (storage_impl.js
  // setupStorageActionWriter); the bytes cross the pipe as base64.
  jsSyscall: async (op, args) => {
    if (op === "storage/storeBlob") {
      const { blob, options } = args;
      const bytes = Buffer.from(await blob.arrayBuffer()).toString("base64");
      const request = { blob: bytes, contentType: blob.type || null, sha256: options?.sha256 ?? null };
      return JSON.parse(roundTrip("1.0/storageStore", JSON.stringify(request)));
    }
    if (op === "storage/getBlob") {
      const found = JSON.parse(roundTrip("1.0/storageGet", JSON.stringify({ storageId: args.storageId })));
      if (found === null) return null;
      return new Blob([Buffer.from(found.blob, "base64")], { type: found.contentType ?? "" });
    }
    throw new Error(`${op} is not supported by the convex-tui sandbox`);
  },
};

// --- determinism (npm-packages/udf-runtime/src/setup.ts does the same inside the isolate) ---

function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frozenDate(nowMs) {
  function FixedDate(...args) {
    if (!new.target) return new realDate(nowMs).toString();
    return args.length === 0 ? new realDate(nowMs) : new realDate(...args);
  }
  FixedDate.prototype = realDate.prototype;
  FixedDate.now = () => nowMs;
  FixedDate.parse = realDate.parse;
  FixedDate.UTC = realDate.UTC;
  return FixedDate;
}

function enterDeterministic(seed, nowMs) {
  Math.random = seededRandom(seed);
  globalThis.Date = frozenDate(nowMs);
}

function leaveDeterministic() {
  Math.random = realRandom;
  globalThis.Date = realDate;
}

// --- console → log lines ------------------------------------------------------------------

const LEVELS = { log: "LOG", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG" };

function captureConsole() {
  const c = Object.create(realConsole);
  for (const [method, level] of Object.entries(LEVELS)) {
    c[method] = (...args) => {
      const messages = args.map((a) => (typeof a === "string" ? util.inspect(a) : util.inspect(a, { depth: 4 })));
      send({ t: "log", level, messages });
    };
  }
  return c;
}
const userConsole = captureConsole();

// --- modules ----------------------------------------------------------------------------

let root = "";
const loaded = new Map();

async function load(modulePath) {
  if (!loaded.has(modulePath)) {
    loaded.set(modulePath, await import(pathToFileURL(path.join(root, modulePath)).href));
  }
  return loaded.get(modulePath);
}

function visibility(fn) {
  if (fn.isInternal) return { kind: "internal" };
  if (fn.isPublic) return { kind: "public" };
  return null;
}

async function analyzeModule(modulePath) {
  const mod = await load(modulePath);
  const functions = [];
  let httpRoutes = null;
  let cronSpecs = null;
  for (const [name, value] of Object.entries(mod)) {
    if (value === null || (typeof value !== "function" && typeof value !== "object")) continue;
    let udfType = null;
    if (value.isQuery) udfType = "Query";
    else if (value.isMutation) udfType = "Mutation";
    else if (value.isAction) udfType = "Action";
    if (udfType !== null) {
      functions.push({
        name,
        udfType,
        visibility: visibility(value),
        args: typeof value.exportArgs === "function" ? value.exportArgs() : null,
        returns: typeof value.exportReturns === "function" ? value.exportReturns() : null,
      });
    }
  }
  const dflt = mod.default;
  if (modulePath === "http.js" && dflt && dflt.isRouter) {
    httpRoutes = dflt.getRoutes().map(([p, method]) => ({ path: p, method }));
  }
  if (modulePath === "crons.js" && dflt && typeof dflt.export === "function") {
    cronSpecs = JSON.parse(dflt.export());
  }
  return { functions, httpRoutes, cronSpecs };
}

async function analyze(msg) {
  enterDeterministic(msg.seed, msg.now);
  globalThis.console = userConsole;
  try {
    const modules = {};
    for (const p of msg.modules) {
      try {
        modules[p] = await analyzeModule(p);
      } catch (err) {
        // The backend's wording: "Failed to analyze tasks.js: Uncaught Error: ..."
        throw new Error(`Failed to analyze ${p}: Uncaught ${err?.name ?? "Error"}: ${err?.message ?? err}`);
      }
    }
    let schema = null;
    if (msg.schema) {
      const mod = await load(msg.schema);
      schema = mod.default && typeof mod.default.export === "function" ? mod.default.export() : null;
    }
    return { modules, schema };
  } finally {
    globalThis.console = realConsole;
    leaveDeterministic();
  }
}

async function invoke(msg) {
  streams.clear(); // query ids are per execution
  const mod = await load(msg.module);
  const fn = mod[msg.name];
  if (!fn) throw new Error(`${msg.module} has no export ${msg.name}`);
  process.env = { ...msg.env };
  globalThis.console = userConsole;
  if (msg.kind !== "action") enterDeterministic(msg.seed, msg.now);
  try {
    if (msg.kind === "query") return await fn.invokeQuery(msg.args);
    if (msg.kind === "mutation") return await fn.invokeMutation(msg.args);
    return await fn.invokeAction(msg.requestId, msg.args);
  } finally {
    leaveDeterministic();
    globalThis.console = realConsole;
  }
}

// An HTTP action: route with the app's own router (http.js default export), run the endpoint
// with a real Request, and send back the Response's status, headers and body.
async function httpAction(msg) {
  streams.clear();
  const mod = await load("http.js");
  const router = mod.default;
  if (!router || !router.isRouter) throw new Error("convex/http.js does not export a router");
  process.env = { ...msg.env };
  globalThis.console = userConsole;
  try {
    const body = msg.body ? Buffer.from(msg.body, "base64") : undefined;
    const hasBody = body && !["GET", "HEAD"].includes(msg.method);
    const request = new Request(msg.url, {
      method: msg.method,
      headers: msg.headers,
      body: hasBody ? body : undefined,
    });
    const match = router.lookup(msg.path, msg.method);
    const response = match
      ? await match[0].invokeHttpAction(request)
      : new Response(`No HttpAction routed for ${msg.path}`, { status: 404 });
    const bytes = Buffer.from(await response.arrayBuffer());
    return {
      status: response.status,
      headers: [...response.headers.entries()],
      body: bytes.toString("base64"),
      route: match ? `${match[1]} ${match[2]}` : null,
    };
  } finally {
    globalThis.console = realConsole;
  }
}

function describe(err) {
  if (err === null || typeof err !== "object") return { message: String(err) };
  const out = { message: err.message ?? String(err), name: err.name ?? "Error" };
  if (Symbol.for("ConvexError") in err || err.ConvexErrorSymbol) out.data = err.data;
  if (err instanceof SyscallError) out.syscall = true;
  if (typeof err.stack === "string") out.stack = err.stack;
  return out;
}

async function main() {
  for (;;) {
    const msg = receive();
    try {
      let value;
      if (msg.t === "init") {
        root = msg.root;
        value = null;
      } else if (msg.t === "analyze") {
        value = await analyze(msg);
      } else if (msg.t === "invoke") {
        value = await invoke(msg);
      } else if (msg.t === "http") {
        value = await httpAction(msg);
      } else {
        throw new Error(`unknown request ${msg.t}`);
      }
      send({ t: "done", value });
    } catch (err) {
      send({ t: "done", error: describe(err) });
    }
  }
}

process.on("unhandledRejection", (reason) => {
  realConsole.error("unhandled rejection in a sandbox function:", reason);
});
main();
