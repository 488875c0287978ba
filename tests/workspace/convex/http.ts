import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
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

export default http;
