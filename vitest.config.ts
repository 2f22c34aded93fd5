import { defineConfig } from "vitest/config";

/**
 * Files that start `volante` processes on ports they pick first and bind later, or that bound a
 * latency: run one at a time, after the rest, so no other file races them for a port or a core.
 */
const alone = [
  "tests/start.test.ts",
  "tests/supervision.test.ts",
  "tests/crash-recovery.test.ts",
  "tests/observability-start.test.ts",
  "tests/cli-server.test.ts",
  "tests/temporal-provisioning.test.ts",
  "tests/security/templates.test.ts",
  "tests/topology.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["tests/global-setup.ts"],
    // Temporal's native worker and PGlite's WASM are happiest in child processes, not threads.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // A focused or skipped test must never reach main.
    allowOnly: false,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          include: ["tests/**/*.test.ts", "workflows/**/*.test.ts", "apps/**/*.test.ts"],
          exclude: alone,
          // Most files wait on Temporal, Chromium and servers rather than compute: three at once on 2 cores.
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "alone",
          include: alone,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
