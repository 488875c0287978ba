// A real ConvexClient subscription to a pushed query: prints one JSON report on stdout.
// Usage (from a workspace copy with node_modules): CONVEX_URL=... node subscribe.mjs
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import WebSocket from "ws";

const url = process.env.CONVEX_URL;
const report = { updates: [] };
const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ ...report, timedOut: true }));
  process.exit(3);
}, 30000);

const client = new ConvexClient(url, { webSocketConstructor: WebSocket });
const http = new ConvexHttpClient(url);
let wrote = false;
await new Promise((resolve, reject) => {
  client.onUpdate(
    anyApi.tasks.list,
    {},
    async (tasks) => {
      report.updates.push(tasks.map((t) => t.text));
      if (!wrote) {
        wrote = true;
        await http.mutation(anyApi.tasks.create, { text: "from js" });
      } else if (tasks.some((t) => t.text === "from js")) {
        resolve();
      }
    },
    reject,
  );
});
await client.close();
clearTimeout(watchdog);
console.log(JSON.stringify(report));
process.exit(0);
