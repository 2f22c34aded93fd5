import { join } from "node:path";
import type { Command } from "commander";
import type { BackfillPreview } from "../core/journeys/backfill";
import { backfillRefusal } from "../core/journeys/backfill";
import { canonicalJson, type Journey } from "../core/journeys/journeys";
import type { PublishedVersion } from "../core/journeys/publish";
import {
  type FileTemplate,
  loadFileTemplates,
  loadPlaybooks,
  type PlaybookFile,
} from "../core/templates/files";
import { loadEnv } from "../env";
import {
  type ApiClient,
  type ApiOptions,
  apiClient,
  apiOptions,
  type ProblemBody,
  problemLines,
} from "./api-client";

type Out = { out: (line: string) => void; err: (line: string) => void };

type Outcome = "created" | "updated" | "unchanged" | "failed";
type Tally = Record<Outcome | "published", number>;

/** A template's locale as the API holds it (GET /v1/templates/{key}). */
type TemplateLocaleRow = {
  locale: string;
  channel: string;
  category: string;
  subject: string | null;
  body: string;
};

type ApplyOptions = ApiOptions & { publish?: boolean; backfill?: boolean | string };

/**
 * `volante apply DIR`: journeys as code, end to end. Pushes `DIR/messages/<key>/` templates and
 * `DIR/journeys/<key>.json` drafts (the layout of the repository's `templates/`) to a running Volante
 * through its public API, changing only what differs, and publishes with `--publish`.
 */
export function registerApplyCommand(program: Command, io: Out): void {
  apiOptions(
    program
      .command("apply <dir>")
      .description(
        "push DIR/messages templates and DIR/journeys drafts to a running Volante; only what differs changes",
      )
      .option("--publish", "publish every journey whose draft differs from its latest version")
      .option(
        "--backfill [mode]",
        'with --publish: also enroll the accounts that already match (or "dry-run": count them, publish nothing)',
      ),
  ).action(async (dir: string, options: ApplyOptions) => {
    const backfill = backfillOption(options.backfill);
    if (backfill === "invalid" || (backfill !== undefined && !options.publish)) {
      io.err(
        backfill === "invalid"
          ? `volante: --backfill takes no value or "dry-run", not ${JSON.stringify(options.backfill)}`
          : "volante: --backfill goes with --publish",
      );
      process.exitCode = 2;
      return;
    }
    const files = await loadDir(dir, io);
    if (!files) {
      process.exitCode = 1;
      return;
    }
    const api = await apiClient(loadEnv(), options);
    const tally: Tally = { created: 0, updated: 0, unchanged: 0, failed: 0, published: 0 };
    const count = (outcome: Outcome) => {
      tally[outcome]++;
    };
    for (const template of files.templates) count(await applyTemplate(api, template, io));
    for (const playbook of files.journeys) count(await applyJourney(api, playbook, io));
    if (options.publish) {
      for (const playbook of files.journeys) {
        const published = await publishJourney(api, playbook, backfill, io);
        if (published === "failed") tally.failed++;
        if (published === "published") tally.published++;
      }
    }
    const changed = tally.created + tally.updated + tally.published;
    const counts = [
      `${tally.created} created`,
      `${tally.updated} updated`,
      `${tally.unchanged} unchanged`,
      ...(options.publish ? [`${tally.published} published`] : []),
      ...(tally.failed ? [`${tally.failed} failed`] : []),
    ].join(", ");
    io.out(
      changed === 0 && tally.failed === 0
        ? `Nothing to change on ${api.url}: ${counts}.`
        : `Applied to ${api.url}: ${counts}.`,
    );
    if (tally.failed) process.exitCode = 1;
  });
}

function backfillOption(value: boolean | string | undefined): true | "dry_run" | undefined | "invalid" {
  if (value === undefined) return undefined;
  if (value === true) return true;
  return value === "dry-run" || value === "dry_run" ? "dry_run" : "invalid";
}

async function loadDir(
  dir: string,
  io: Out,
): Promise<{ templates: FileTemplate[]; journeys: PlaybookFile[] } | undefined> {
  const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";
  try {
    const templates = await loadFileTemplates(join(dir, "messages")).catch((err) => {
      if (missing(err)) return undefined;
      throw err;
    });
    const journeys = await loadPlaybooks(join(dir, "journeys")).catch((err) => {
      if (missing(err)) return undefined;
      throw err;
    });
    if (!templates && !journeys) {
      io.err(
        `volante: ${dir} has neither messages/ nor journeys/ (the layout of templates/ in the repository)`,
      );
      return undefined;
    }
    return { templates: templates ?? [], journeys: journeys ?? [] };
  } catch (err) {
    io.err(`volante: ${(err as Error).message}`);
    return undefined;
  }
}

function show(io: Out, kind: string, key: string, what: string): void {
  io.out(`${kind.padEnd(9)} ${key.padEnd(32)} ${what}`);
}

/** One PUT per locale that differs from the workspace's copy. */
async function applyTemplate(api: ApiClient, template: FileTemplate, io: Out): Promise<Outcome> {
  const path = `/v1/templates/${encodeURIComponent(template.key)}`;
  const current = await api.request<TemplateLocaleRow[]>("GET", path);
  const rows = current.status === 200 ? current.body : [];
  const changed = Object.entries(template.locales).filter(([locale, copy]) => {
    const row = rows.find((r) => r.locale === locale);
    return (
      !row ||
      row.channel !== template.channel ||
      row.category !== template.category ||
      row.subject !== (copy.subject ?? null) ||
      row.body !== copy.body
    );
  });
  if (changed.length === 0) {
    show(io, "template", template.key, "unchanged");
    return "unchanged";
  }
  for (const [locale, copy] of changed) {
    const put = await api.request<ProblemBody>("PUT", path, {
      channel: template.channel,
      category: template.category,
      ...(copy.subject === undefined ? {} : { subject: copy.subject }),
      body: copy.body,
      locale,
    });
    if (put.status !== 200 && put.status !== 201) {
      show(io, "template", template.key, `failed (${locale}): ${problemLines(put.body).join("\n")}`);
      return "failed";
    }
  }
  const outcome = rows.length === 0 ? "created" : "updated";
  show(io, "template", template.key, `${outcome} (${changed.map(([locale]) => locale).join(", ")})`);
  return outcome;
}

/** The draft is replaced when it differs from the file; what publishing would refuse is shown. */
async function applyJourney(api: ApiClient, playbook: PlaybookFile, io: Out): Promise<Outcome> {
  const key = journeyKey(playbook);
  if (key === undefined) {
    show(io, "journey", playbook.key, `failed: its "key" must be "${playbook.key}", the file's name`);
    return "failed";
  }
  const path = `/v1/journeys/${encodeURIComponent(key)}`;
  const current = await api.request<Journey>("GET", path);
  const wanted = { key, ...(playbook.definition as object) };
  if (current.status === 200 && canonicalJson(current.body.draft) === canonicalJson(wanted)) {
    show(io, "journey", key, `unchanged${problemsNote(current.body)}`);
    return "unchanged";
  }
  const put = await api.request<Journey & ProblemBody>("PUT", path, playbook.definition);
  if (put.status !== 200 && put.status !== 201) {
    show(io, "journey", key, `failed: ${problemLines(put.body).join("\n")}`);
    return "failed";
  }
  const outcome = put.status === 201 ? "created" : "updated";
  show(io, "journey", key, `${outcome} (draft)${problemsNote(put.body)}`);
  for (const problem of put.body.problems ?? []) io.out(`            ${problem.pointer}: ${problem.message}`);
  return outcome;
}

function journeyKey(playbook: PlaybookFile): string | undefined {
  const own = (playbook.definition as { key?: unknown } | null)?.key;
  return own === undefined || own === playbook.key ? playbook.key : undefined;
}

function problemsNote(journey: Journey): string {
  const n = journey.problems?.length ?? 0;
  return n === 0 ? "" : `, ${n} problem${n === 1 ? "" : "s"} to fix before publishing`;
}

/** Publishes the draft (the API answers 200 with the latest version when nothing changed since). */
async function publishJourney(
  api: ApiClient,
  playbook: PlaybookFile,
  backfill: true | "dry_run" | undefined,
  io: Out,
): Promise<"published" | "unchanged" | "failed"> {
  const key = journeyKey(playbook);
  if (key === undefined) return "failed";
  // A backfill is for triggers with accounts to match now; the others publish without one.
  const trigger = (playbook.definition as { trigger?: { type?: unknown } }).trigger;
  const noBackfill = backfill === undefined ? undefined : backfillRefusal(trigger);
  if (backfill === "dry_run" && noBackfill) {
    show(io, "backfill", key, `dry run: no backfill (${noBackfill}); nothing published`);
    return "unchanged";
  }
  const res = await api.request<PublishedVersion & BackfillPreview & ProblemBody>(
    "POST",
    `/v1/journeys/${encodeURIComponent(key)}/publish`,
    backfill && !noBackfill ? { backfill } : {},
  );
  const skippedNote = noBackfill ? ` (no backfill: ${noBackfill})` : "";
  if (res.status === 200 && res.body.dryRun) {
    show(
      io,
      "backfill",
      key,
      `dry run: would enroll ${res.body.wouldEnroll} of ${res.body.matched} matching accounts${skipped(res.body.skipped)}; nothing published`,
    );
    return "unchanged";
  }
  if (res.status === 201 || res.status === 200) {
    const fill = res.body.backfill;
    const filled = !fill
      ? ""
      : "operation" in fill
        ? `, backfill of ${fill.operation.total} matching accounts running in the background (GET /v1/bulk-operations/${fill.operation.id})`
        : `, backfill enrolled ${fill.enrolled} of ${fill.matched} matching accounts${skipped(fill.skipped)}`;
    if (res.status === 200) {
      show(
        io,
        "publish",
        key,
        `unchanged (version ${res.body.version}, the same as the draft)${skippedNote}`,
      );
      return "unchanged";
    }
    show(io, "publish", key, `published version ${res.body.version}${filled}${skippedNote}`);
    for (const warning of res.body.warnings ?? [])
      io.out(`            warning ${warning.pointer}: ${warning.message}`);
    return "published";
  }
  show(io, "publish", key, `failed: ${problemLines(res.body).join("\n")}`);
  return "failed";
}

function skipped(by: Record<string, number>): string {
  const entries = Object.entries(by);
  return entries.length === 0 ? "" : ` (skipped: ${entries.map(([why, n]) => `${n} ${why}`).join(", ")})`;
}
