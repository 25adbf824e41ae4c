import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{shared,worker,edge,infra}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "infra/chaos/**/*.long.test.ts"],
    // Integration tests start real processes (redis-server, workerd, workers); give them room, but keep
    // every wait event-driven inside the tests.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
