import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";

const http = httpRouter();

// Listed by the sandbox (function spec) but not run yet: a request fails with a clear error.
http.route({
  path: "/hello",
  method: "GET",
  handler: httpAction(async () => new Response("hello")),
});

export default http;
