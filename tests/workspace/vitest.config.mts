// The second oracle (convex-test, a JS model of the backend) runs with vitest in the
// edge-runtime environment, as convex-test asks. tests/sandbox/test_oracle.py runs it against
// a copy of this workspace that `convex dev --once` has pushed to a sandbox.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["oracle/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
