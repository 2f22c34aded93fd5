#!/usr/bin/env node
// Runs the TypeScript CLI with tsx's loader, so `npx volante …` works without a build step.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve("tsx")).href;
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const child = spawn(process.execPath, ["--import", tsx, main, ...process.argv.slice(2)], {
  stdio: "inherit",
});
// A terminal's Ctrl-C reaches the child too (same process group), and `volante start` treats the copy
// passed on here as the same signal; a signal sent to this process alone is passed on. Either way
// this process waits for the child and exits as it does, instead of dying before it stops.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
});
