import { readFile } from "node:fs/promises";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { syntheticPopulation } from "../../workflows/journey/population";
import { JourneyKey } from "../../workflows/journey/schema";
import { simulate } from "../../workflows/journey/simulate";
import { addDuration } from "../../workflows/journey/time";
import { formatProblems, validateJourney } from "../../workflows/journey/validate";
import { loadFileTemplates } from "../core/templates/files";
import { fileTemplateCatalog } from "../core/templates/message-templates";
import { loadEnv } from "../env";
import { type ApiOptions, apiClient, apiOptions, type ProblemBody, problemLines } from "./api-client";

type Out = { out: (line: string) => void; err: (line: string) => void };

async function readDefinition(file: string, io: Out): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    io.err(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    io.err(`${file}: not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
}

async function validateFile(file: string, templatesDir: string | undefined, io: Out) {
  const definition = await readDefinition(file, io);
  if (definition === undefined) return undefined;
  const templates = await loadFileTemplates(templatesDir);
  return validateJourney(definition, fileTemplateCatalog(templates));
}

/** `volante journeys validate|simulate`: offline, against the file templates. */
export function registerJourneyCommands(program: Command, io: Out): void {
  const journeys = program.command("journeys").description("write, check and simulate journeys as code");

  apiOptions(
    journeys
      .command("validate <file>")
      .description("check a journey definition: every problem with its JSON pointer (exit 1 if any)")
      .option("--templates <dir>", "message templates directory (default: templates/messages)")
      .option("--remote", "check against a running Volante's templates (the workspace's), changing nothing"),
  ).action(async (file: string, options: { templates?: string; remote?: boolean } & ApiOptions) => {
    if (options.remote) {
      const definition = await readDefinition(file, io);
      process.exitCode = definition === undefined ? 1 : await validateRemotely(file, definition, options, io);
      return;
    }
    const result = await validateFile(file, options.templates, io);
    if (!result) {
      process.exitCode = 1;
      return;
    }
    if (result.ok) {
      io.out(`${file}: valid (${result.journey.steps.length} steps, trigger ${result.journey.trigger.type})`);
      return;
    }
    io.err(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`);
    io.err(formatProblems(result.problems));
    process.exitCode = 1;
  });

  journeys
    .command("simulate <file>")
    .description("run the journey over a synthetic population on a virtual clock and summarise who gets what")
    .option("--accounts <n>", "synthetic accounts", wholeNumber, 1000)
    .option("--days <n>", "days to simulate", wholeNumber, 90)
    .option("--from <date>", "start of the window (ISO date)", "")
    .option("--templates <dir>", "message templates directory (default: templates/messages)")
    .option("--json", "print the whole result as JSON")
    .action(
      async (
        file: string,
        options: { accounts: number; days: number; from: string; templates?: string; json?: boolean },
      ) => {
        const bad: string[] = [];
        if (!Number.isInteger(options.accounts) || options.accounts < 1 || options.accounts > 1_000_000) {
          bad.push("--accounts must be a whole number from 1 to 1000000");
        }
        if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3650) {
          bad.push("--days must be a whole number from 1 to 3650");
        }
        const from = options.from
          ? new Date(isoDateLike.test(options.from) ? options.from : Number.NaN)
          : new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
        if (Number.isNaN(from.getTime())) bad.push("--from must be a date such as 2026-01-01");
        if (bad.length > 0) {
          for (const line of bad) io.err(line);
          process.exitCode = 2;
          return;
        }
        const result = await validateFile(file, options.templates, io);
        if (!result) {
          process.exitCode = 1;
          return;
        }
        if (!result.ok || !result.journey) {
          io.err(`${file}: fix these problems before simulating:`);
          io.err(formatProblems(result.problems));
          process.exitCode = 1;
          return;
        }
        const journey = result.journey;
        const window = { from: from.toISOString(), to: addDuration(from.toISOString(), `P${options.days}D`) };
        const bar = new SingleBar({
          format: "simulating {bar} {value}/{total} accounts | {duration_formatted}",
          stream: process.stderr,
          noTTYOutput: false,
          hideCursor: true,
        });
        if (!options.json) bar.start(options.accounts, 0);
        const started = performance.now();
        const run = simulate(journey, syntheticPopulation(options.accounts, window, journey), window, {
          engagement: { openRate: 0.45, clickRate: 0.12 },
          progressEvery: Math.max(1, Math.floor(options.accounts / 100)),
          onProgress: (done) => bar.update(done),
        });
        const seconds = (performance.now() - started) / 1000;
        if (!options.json) bar.stop();

        if (options.json) {
          io.out(JSON.stringify({ window, ...run }, null, 2));
          return;
        }
        const s = run.summary;
        io.out(
          `\n${journey.name} (${journey.key}) — ${s.accounts} accounts, ${window.from.slice(0, 10)} → ${window.to.slice(0, 10)}`,
        );
        io.out(`simulated in ${seconds.toFixed(2)} s\n`);
        io.out(
          table([
            ["enrolled", s.enrolled],
            ["accounts enrolled", s.accountsEnrolled],
            ["touches", s.touches],
            ["escalations", s.escalations],
            ["goals reached", s.goals],
            ["completed", s.completed],
            ["exited", s.exited],
            ["still active", s.active],
          ]),
        );
        const steps = Object.entries(s.touchesByStep);
        if (steps.length > 0) io.out(`\ntouches by step\n${table(steps)}`);
        const byCsm = new Map<string, number>();
        for (const a of run.accounts)
          for (const e of a.escalations)
            byCsm.set(e.assignee ?? "(no owner CSM)", (byCsm.get(e.assignee ?? "(no owner CSM)") ?? 0) + 1);
        if (byCsm.size > 0)
          io.out(`\nescalations by CSM\n${table([...byCsm.entries()].sort((a, b) => b[1] - a[1]))}`);
      },
    );
}

/**
 * The server validates as publish does, against the workspace's templates: the simulate endpoint
 * with the definition in the request saves nothing and refuses (422, every problem with its pointer)
 * what could not be published; one synthetic account over one day keeps the run itself trivial.
 */
async function validateRemotely(
  file: string,
  definition: unknown,
  options: ApiOptions,
  io: Out,
): Promise<number> {
  const key = (definition as { key?: unknown } | null)?.key;
  if (typeof key !== "string" || !JourneyKey.safeParse(key).success) {
    io.err(`${file}: 1 problem\n  /key: is required: the journey's key (lower-case letters, digits, _ or -)`);
    return 1;
  }
  const api = await apiClient(loadEnv(), options);
  const from = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
  const res = await api.request<ProblemBody & { warnings?: { pointer: string; message: string }[] }>(
    "POST",
    `/v1/journeys/${encodeURIComponent(key)}/simulate`,
    { definition, accounts: 1, from, to: addDuration(from, "P1D") },
  );
  if (res.status === 200) {
    io.out(`${file}: valid against ${api.url}'s templates`);
    for (const warning of res.body.warnings ?? []) io.out(`  warning ${warning.pointer}: ${warning.message}`);
    return 0;
  }
  const problems = (res.body.errors ?? []).length;
  io.err(
    `${file}: ${problems ? `${problems} problem${problems === 1 ? "" : "s"} on ${api.url}` : `refused by ${api.url}`}`,
  );
  io.err(
    problemLines(res.body, "/definition")
      .slice(problems ? 1 : 0)
      .join("\n"),
  );
  return 1;
}

/**
 * An option that must be digits only: `10abc` or `1e3` is NaN (refused with exit 2), not the 10 or
 * 1 that Number.parseInt would read.
 */
function wholeNumber(value: string): number {
  return /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
}

/** A date (2026-01-01) or date-time (2026-01-01T09:00:00Z), not whatever Date can read ("1" is 2001). */
const isoDateLike = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A two-column text table with right-aligned numbers. */
function table(rows: [string, number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const numbers = Math.max(...rows.map(([, v]) => String(v).length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${String(v).padStart(numbers)}`).join("\n");
}
