#!/usr/bin/env node
// Runs the TypeScript CLI with tsx's loader, so `npx volante …` works without a build step.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { processSettings } from "./process-settings.mjs";

const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve("tsx")).href;
const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const args = process.argv.slice(2);
// `volante worker` gets the memory settings of process-settings.mjs; other commands run as they are.
const settings = processSettings(args[0], process.env);
const child = spawn(process.execPath, [...settings.nodeFlags, "--import", tsx, main, ...args], {
  stdio: "inherit",
  env: settings.env,
});
// A terminal's Ctrl-C reaches the child too (same process group), and `volante start` treats the copy
// passed on here as the same signal; a signal sent to this process alone is passed on. Either way
// this process waits for the child and exits as it does, instead of dying before it stops.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
});
