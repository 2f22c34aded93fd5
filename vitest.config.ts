import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "workflows/**/*.test.ts", "apps/**/*.test.ts"],
    globalSetup: ["tests/global-setup.ts"],
    // Temporal's native worker and PGlite's WASM are happiest in child processes, not threads.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // A focused or skipped test must never reach main.
    allowOnly: false,
    reporters: ["default"],
  },
});
