import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "workflows/**/*.test.ts", "apps/**/*.test.ts"],
    globalSetup: ["tests/global-setup.ts"],
    // Temporal's native worker and PGlite's WASM are happiest in child processes, not threads.
    pool: "forks",
    // Most files wait on child processes, Temporal and SMTP rather than compute: three files at once
    // (or one per core beyond) halves the run on 2 cores. Vitest's default is one per core but one.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // A focused or skipped test must never reach main.
    allowOnly: false,
    reporters: ["default"],
  },
});
