// A real ConvexClient subscription to the first page of a paginated query: after inserts
// before and after the page's end, the page keeps its end (the backend's query journal) and
// grows instead of shifting. Prints one JSON report on stdout.
// Usage (from a workspace copy with node_modules): CONVEX_URL=... node paginate.mjs
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import WebSocket from "ws";

const url = process.env.CONVEX_URL;
const report = { pages: [] };
const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ ...report, timedOut: true }));
  process.exit(3);
}, 30000);

const http = new ConvexHttpClient(url);
for (const rank of [10, 20, 30, 40, 50]) {
  await http.mutation(anyApi.items.fill, { bucket: 77, from: rank, count: 1 });
}
const client = new ConvexClient(url, { webSocketConstructor: WebSocket });
let step = 0;
await new Promise((resolve, reject) => {
  client.onUpdate(
    anyApi.items.page,
    { bucket: 77, paginationOpts: { numItems: 3, cursor: null } },
    async (page) => {
      report.pages.push({ ranks: page.page.map((r) => r.rank), isDone: page.isDone });
      if (step === 0) {
        step = 1;
        // A write after the page's end (rank 35: the page does not change), then one before
        // it (rank 15: the page grows to four rows, it does not drop rank 30).
        await http.mutation(anyApi.items.fill, { bucket: 77, from: 35, count: 1 });
        await http.mutation(anyApi.items.fill, { bucket: 77, from: 15, count: 1 });
      } else if (page.page.some((r) => r.rank === 15)) {
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
