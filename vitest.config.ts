import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: more forks than that only adds contention to suites that start servers.
    maxWorkers: 2,
    reporters: ["default"],
    env: { LOG_LEVEL: "error", POWERTOOLS_DEV: "false" },
  },
});
