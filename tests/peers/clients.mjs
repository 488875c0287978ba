// Drives the sandbox with the real npm clients (convex@1.48.0): ConvexHttpClient over HTTP and
// ConvexClient over the WebSocket sync protocol. Prints one JSON report on stdout; the pytest side
// (test_node_clients.py) asserts on it. Usage: CONVEX_URL=... CONVEX_ADMIN_KEY=... node clients.mjs
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi, makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import WebSocket from "ws";

const url = process.env.CONVEX_URL;
const adminKey = process.env.CONVEX_ADMIN_KEY;
const STEP_MS = 15000;
const api = anyApi;
const report = { steps: [] };

const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ ...report, timedOut: true }));
  process.exit(3);
}, 50000);

// Fails the whole script with the step's name if a promise takes too long.
function within(name, promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step "${name}" timed out`)), STEP_MS);
  });
  return Promise.race([promise, limit]).finally(() => {
    clearTimeout(timer);
    report.steps.push(name);
  });
}

async function caught(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

// Collects every result of an onUpdate subscription so the script can await a matching one.
function subscribe(client, ref, args) {
  const results = [];
  const errors = [];
  let waiters = [];
  const check = () => {
    waiters = waiters.filter(({ test, resolve }) => {
      const hit = results.find(test);
      if (hit !== undefined) resolve(hit);
      return hit === undefined;
    });
  };
  const unsubscribe = client.onUpdate(
    ref,
    args,
    (value) => {
      results.push(value);
      check();
    },
    (error) => {
      errors.push(error);
      waiters.forEach(({ reject }) => reject(error));
      waiters = [];
    },
  );
  const until = (test) =>
    new Promise((resolve, reject) => {
      waiters.push({ test, resolve, reject });
      check();
    });
  return { results, errors, until, unsubscribe };
}

const http = new ConvexHttpClient(url, { logger: false });
http.setAdminAuth(adminKey);
const anonymous = new ConvexHttpClient(url, { logger: false });
const ws = new ConvexClient(url, { webSocketConstructor: WebSocket, logger: false });
const wsAdmin = new ConvexClient(url, { webSocketConstructor: WebSocket, logger: false });
wsAdmin.client.setAdminAuth(adminKey);

try {
  // --- ConvexHttpClient -------------------------------------------------------------------
  const createdId = await within("http create", http.mutation(api.tasks.create, { title: "node http task", priority: 2 }));
  const got = await within("http get", http.query(api.tasks.get, { id: createdId }));
  report.http = { createdId, title: got.title, priority: got.priority, status: got.status };

  const echoed = await within(
    "http echo",
    http.query(api.debug.echo, {
      value: { n: 2n ** 62n + 5n, neg: -3n, b: new Uint8Array([0, 1, 254, 255]).buffer, f: 0.5 },
    }),
  );
  report.echo = {
    n: echoed.n.toString(),
    nIsBigint: typeof echoed.n === "bigint",
    neg: echoed.neg.toString(),
    bytes: Array.from(new Uint8Array(echoed.b)),
    f: echoed.f,
  };

  const convexError = await within("http ConvexError", caught(http.mutation(api.tasks.create, { title: "" })));
  report.httpConvexError = { isConvexError: convexError instanceof ConvexError, data: convexError.data };

  const internal = await within(
    "http internal as public",
    caught(anonymous.query(api.rag.searchDocuments, { queryEmbedding: [1, 0] })),
  );
  report.internalAsPublic = internal.message;

  const viaFunction = await within(
    "http function (admin, internal)",
    http.function(makeFunctionReference("rag:generateQueryEmbedding"), undefined, { query: "hello" }),
  );
  report.embeddingLength = viaFunction.length;

  const users = await within(
    "http system query",
    http.query(makeFunctionReference("_system/cli/tableData"), {
      table: "users",
      order: "asc",
      paginationOpts: { numItems: 1, cursor: null },
    }),
  );
  const userId = users.page[0]._id;
  const identity = { subject: `${userId}|peer-session`, issuer: "https://peer.test", tokenIdentifier: `https://peer.test|${userId}` };
  const actingHttp = new ConvexHttpClient(url, { logger: false });
  actingHttp.setAdminAuth(adminKey, identity);
  const ownTaskId = await within("http acting-as create", actingHttp.mutation(api.tasks.create, { title: "acting as a user" }));
  const ownTask = await within("http get own task", http.query(api.tasks.get, { id: ownTaskId }));
  report.actingAs = { userId, taskId: ownTaskId, taskUserId: ownTask.userId ?? null };
  report.anonymousUserTasks = await within("http anonymous getUserTasks", anonymous.query(api.tasks.getUserTasks, {}));

  // --- ConvexClient (WebSocket) -----------------------------------------------------------
  const messages = subscribe(ws, api.messages.list, {});
  const first = await within("ws first result", messages.until(() => true));
  const body = `node-ws-${Date.now()}`;
  await within("http send message", http.mutation(api.messages.send, { body, author: "node-http" }));
  const updated = await within("ws update after http mutation", messages.until((list) => list.some((m) => m.body === body)));
  report.subscription = {
    firstLength: first.length,
    updatedLength: updated.length,
    lastBody: updated[updated.length - 1].body,
    resultsSeen: messages.results.length,
  };

  // A mutation over the socket resolves only after the Transition that reaches its ts.
  const wsTaskId = await within("ws mutation", ws.mutation(api.tasks.create, { title: "node ws task" }));
  const wsTask = await within("ws query", ws.query(api.tasks.get, { id: wsTaskId }));
  report.wsMutation = { id: wsTaskId, title: wsTask.title };

  const wsError = await within("ws ConvexError", caught(ws.mutation(api.tasks.create, { title: " " })));
  report.wsConvexError = { isConvexError: wsError instanceof ConvexError, data: wsError.data };

  const rag = await within("ws action", ws.action(api.rag.searchWithRAG, { query: "indexes in the schema" }));
  report.wsAction = { length: rag.length, titles: rag.map((doc) => doc.title) };

  const failing = subscribe(ws, api.debug.fail, {});
  const failure = await within("ws QueryFailed", failing.until(() => false).catch((e) => e));
  report.wsQueryFailed = String(failure.message);
  failing.unsubscribe();

  // Admin auth with impersonation over the socket (Authenticate{tokenType:"Admin", impersonating}).
  const actingWs = new ConvexClient(url, { webSocketConstructor: WebSocket, logger: false });
  actingWs.client.setAdminAuth(adminKey, identity);
  const userTasks = await within("ws acting-as getUserTasks", actingWs.query(api.tasks.getUserTasks, {}));
  report.wsUserTaskIds = userTasks.map((task) => task._id);
  await actingWs.close();

  const tables = await within(
    "ws admin system query",
    wsAdmin.query(makeFunctionReference("_system/cli/tables"), { paginationOpts: { numItems: 100, cursor: null } }),
  );
  report.wsTables = tables.page.map((table) => table.name);

  messages.unsubscribe();
  report.ok = true;
} catch (e) {
  report.ok = false;
  report.error = String(e && e.stack ? e.stack : e);
} finally {
  clearTimeout(watchdog);
  await Promise.allSettled([ws.close(), wsAdmin.close()]);
  console.log(JSON.stringify(report));
  process.exit(report.ok ? 0 : 1);
}
