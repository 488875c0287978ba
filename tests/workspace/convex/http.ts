import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
import { Id } from "./_generated/dataModel";
import { httpAction } from "./_generated/server";

const http = httpRouter();

http.route({
  path: "/hello",
  method: "GET",
  handler: httpAction(async (_ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "world";
    return new Response(`hello ${name}`, { headers: { "content-type": "text/plain" } });
  }),
});

// Reads through ctx.runQuery and answers JSON.
http.route({
  path: "/tasks/count",
  method: "GET",
  handler: httpAction(async (ctx) => {
    const tasks = await ctx.runQuery(api.tasks.list, {});
    return Response.json({ count: tasks.length });
  }),
});

// Echoes the body back, with a header, under any path below /echo/.
http.route({
  pathPrefix: "/echo/",
  method: "POST",
  handler: httpAction(async (_ctx, request) => {
    const body = await request.text();
    console.log("echo", body.length);
    return new Response(body, { status: 201, headers: { "x-echo-path": new URL(request.url).pathname } });
  }),
});

// Upload by HTTP action: the body becomes a file (ctx.storage.store), saved under ?name=.
http.route({
  path: "/upload",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const name = new URL(request.url).searchParams.get("name") ?? "upload";
    const storageId = await ctx.storage.store(await request.blob());
    await ctx.runMutation(api.files.save, { storageId, name });
    return Response.json({ storageId });
  }),
});

// Serves a stored file through the app (ctx.storage.get), 404 when it is gone.
http.route({
  path: "/file",
  method: "GET",
  handler: httpAction(async (ctx, request) => {
    const id = new URL(request.url).searchParams.get("id") ?? "";
    const blob = await ctx.storage.get(id as Id<"_storage">);
    return blob === null ? new Response("no such file", { status: 404 }) : new Response(blob);
  }),
});

export default http;
