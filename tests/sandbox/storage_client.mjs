// The file upload flow of the Convex docs with the real JS client and Node's fetch:
// generateUploadUrl, POST the bytes, save the storage id, getUrl, GET the bytes back.
// Usage (from a workspace copy with node_modules): CONVEX_URL=... node storage_client.mjs
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";

const client = new ConvexHttpClient(process.env.CONVEX_URL);
const bytes = new Uint8Array([0, 1, 2, 250, 251, 0, 42]);
const postUrl = await client.mutation(anyApi.files.generateUploadUrl, {});
const posted = await fetch(postUrl, {
  method: "POST",
  headers: { "Content-Type": "application/octet-stream" },
  body: bytes,
});
const { storageId } = await posted.json();
await client.mutation(anyApi.files.save, { storageId, name: "from-js" });
const url = await client.query(anyApi.files.url, { id: storageId });
const got = new Uint8Array(await (await fetch(url)).arrayBuffer());
const meta = await client.query(anyApi.files.meta, { id: storageId });
console.log(
  JSON.stringify({
    status: posted.status,
    storageId,
    same: got.length === bytes.length && got.every((b, i) => b === bytes[i]),
    meta,
  }),
);
