import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { Command } from "commander";
import { loadEnv } from "../apps/env";
import { type Figure, type Mode, type ScenarioName, scenarios } from "./scenarios/index";
import { startBenchStack } from "./stack";

const header = ["scenario", "figure", "value", "limit", "ratio", "note"];

/**
 * `npm run bench [-- --quick] [-- --only a,b]`: every figure against a limit measured in the same run
 * (the raw database, the bare Temporal engine) or the goal it is held to. Not part of `npm test`.
 */
const program = new Command()
  .name("bench")
  .option("--quick", "small sizes, about two minutes")
  .option("--only <names>", `comma-separated scenarios: ${Object.keys(scenarios).join(", ")}`)
  .option("--out <file>", "where to write the results", "bench/results.json")
  .option("--render", "rewrite BENCHMARKS.md from the results in --out (after editing its prose), no run")
  .option(
    "--worker-node-flags <flags>",
    "Node/V8 flags of the memory scenario's worker process, space-separated",
  )
  .option(
    "--api-node-flags <flags>",
    "Node/V8 flags of the `volante api` processes (api, journeys), space-separated, e.g. --cpu-prof",
  )
  .parse();
const options = program.opts<{
  quick?: boolean;
  only?: string;
  out: string;
  render?: boolean;
  workerNodeFlags?: string;
  apiNodeFlags?: string;
}>();
if (options.render) {
  const results = JSON.parse(await readFile(options.out, "utf8")) as Results;
  if (results.mode !== "full") program.error(`${options.out} holds a ${results.mode} run, not a full one`);
  await writePage(results);
  process.stdout.write(`BENCHMARKS.md rewritten from ${options.out}\n`);
  process.exit(0);
}
const mode: Mode = options.quick ? "quick" : "full";
const chosen = (options.only?.split(",") ?? Object.keys(scenarios)) as ScenarioName[];
for (const name of chosen) if (!(name in scenarios)) program.error(`unknown scenario "${name}"`);

const env = loadEnv();
const began = performance.now();
const log = (line: string) =>
  process.stdout.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

log(`Volante bench, ${mode} mode: ${chosen.join(", ")}`);
const workerNodeFlags = options.workerNodeFlags?.split(" ").filter(Boolean) ?? [];
if (workerNodeFlags.length > 0) log(`the worker process runs with ${workerNodeFlags.join(" ")}`);
const apiNodeFlags = options.apiNodeFlags?.split(" ").filter(Boolean) ?? [];
if (apiNodeFlags.length > 0) log(`volante api runs with ${apiNodeFlags.join(" ")}`);
const stack = await startBenchStack(env, log, { worker: workerNodeFlags, api: apiNodeFlags });
const figures: Figure[] = [];
const failures: { scenario: string; error: string }[] = [];
try {
  for (const name of chosen) {
    const started = performance.now();
    try {
      const got = await scenarios[name]({ stack, mode, log });
      figures.push(...got);
      log(`${name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      failures.push({ scenario: name, error: String((err as Error).stack ?? err) });
      log(`${name}: FAILED: ${(err as Error).message}`);
    }
  }
} finally {
  await stack.close();
}

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
const results = {
  mode,
  at: new Date().toISOString(),
  seconds: Math.round((performance.now() - began) / 1000),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
  },
  versions: {
    volante: pkg.version,
    temporalSdk: pkg.dependencies["@temporalio/worker"],
    temporalServer: stack.temporalVersion,
    database: stack.database.driver === "postgres" ? stack.postgresVersion : "PGlite",
  },
  figures,
  failures,
};
await mkdir(new URL("./", new URL(`../${options.out}`, import.meta.url)), { recursive: true }).catch(
  () => {},
);
await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);

const rows = tableRows(figures);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
process.stdout.write(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
for (const r of rows) process.stdout.write(`${line(r)}\n`);
process.stdout.write(`\nresults in ${options.out} (${results.seconds} s)\n`);

// A full run of every scenario is the one BENCHMARKS.md shows; its prose lives in bench/benchmarks.md.
if (mode === "full" && !options.only && failures.length === 0) {
  await writePage(results);
  process.stdout.write("BENCHMARKS.md rewritten from this run\n");
}
if (failures.length > 0) {
  for (const f of failures) process.stderr.write(`\n${f.scenario} failed:\n${f.error}\n`);
  process.exit(1);
}
process.exit(0);

type Results = {
  mode: Mode;
  at: string;
  seconds: number;
  machine: { cpus: number; cpu: string | undefined; memoryGiB: number; platform: string; node: string };
  versions: { database: string; temporalServer: string };
  figures: Figure[];
};

function tableRows(figures: Figure[]): string[][] {
  return figures.map((f) => [
    f.scenario,
    f.name,
    `${f.value} ${f.unit}`,
    f.limit === undefined ? "" : `${f.limit}`,
    f.ratio === undefined ? "" : `${f.ratio}×`,
    f.note ?? "",
  ]);
}

/** BENCHMARKS.md: the prose of bench/benchmarks.md with the run's table, machine and time. */
async function writePage(results: Results) {
  const table = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...tableRows(results.figures).map((r) => `| ${r.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`),
  ].join("\n");
  const machine = `${results.machine.cpus} × ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, ${results.machine.platform}, Node ${results.machine.node}; ${results.versions.database}; Temporal dev server ${results.versions.temporalServer}`;
  const prose = await readFile(new URL("./benchmarks.md", import.meta.url), "utf8");
  const page = prose
    .replace("{{table}}", table)
    .replace("{{machine}}", machine)
    .replace("{{at}}", results.at)
    .replace("{{seconds}}", String(results.seconds));
  await writeFile(new URL("../BENCHMARKS.md", import.meta.url), page);
}
