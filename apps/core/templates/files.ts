import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { z } from "zod";
import { TemplateKey } from "../../../workflows/journey/schema";
import type { TemplateInfo } from "../../../workflows/journey/variables";

/**
 * Message templates and journey playbooks shipped as files under `templates/`: one folder per message
 * (`template.json` + `<locale>.subject.hbs` / `<locale>.body.hbs`), one JSON file per playbook.
 */

// ── Variables a template reads ──────────────────────────────────────────────────────────────────

/** Built-in helpers; a block or mustache headed by one of these is a helper call even without params. */
const builtinHelpers = new Set(["if", "unless", "each", "with", "lookup", "log"]);
/** Built-in block helpers that run their main block with a new context (the `else` keeps the outer one). */
const contextChangingHelpers = new Set(["each", "with"]);

type Scope = {
  /** One entry per context level, innermost last: whether that level is the root context. */
  contexts: readonly boolean[];
  /** Block params (`as |item i|`) visible here: lexical names, not context lookups. */
  blockParams: ReadonlySet<string>;
};

type Call = { params: hbs.AST.Expression[]; hash?: hbs.AST.Hash | undefined };

/**
 * Dotted root-context paths a handlebars source reads, deduplicated and sorted: `{{account.name}}`,
 * `{{#if usage.deploymentRatio}}`, the params of `{{formatDate renewal.date}}`, `{{@root.contact.name}}`,
 * `{{../account.name}}` inside an `#each`. Helper names, literals, `this`, `@index`-style data and paths
 * relative to an `#each`/`#with` context are not variables. Throws on a syntax error.
 */
export function extractVariables(source: string): string[] {
  const found = new Set<string>();

  const visitExpression = (node: hbs.AST.Expression, scope: Scope): void => {
    if (node.type === "PathExpression") {
      const path = rootPath(node as hbs.AST.PathExpression, scope);
      if (path !== undefined) found.add(path);
    } else if (node.type === "SubExpression") {
      // `(helper arg…)`: the head is always a helper.
      visitArguments(node as hbs.AST.SubExpression, scope);
    }
    // Literals name no variable.
  };

  const visitArguments = (call: Call, scope: Scope): void => {
    for (const param of call.params) visitExpression(param, scope);
    for (const pair of call.hash?.pairs ?? []) visitExpression(pair.value, scope);
  };

  const isHelperCall = (head: hbs.AST.Node, call: Call): boolean =>
    call.params.length > 0 ||
    (call.hash?.pairs.length ?? 0) > 0 ||
    (head.type === "PathExpression" && builtinHelpers.has((head as hbs.AST.PathExpression).original));

  const visitProgram = (program: hbs.AST.Program | undefined, scope: Scope): void => {
    for (const statement of program?.body ?? []) visitStatement(statement, scope);
  };

  const visitStatement = (node: hbs.AST.Statement, scope: Scope): void => {
    switch (node.type) {
      case "MustacheStatement":
      case "Decorator": {
        const mustache = node as hbs.AST.MustacheStatement;
        if (isHelperCall(mustache.path, mustache)) visitArguments(mustache, scope);
        else visitExpression(mustache.path, scope);
        return;
      }
      case "BlockStatement":
      case "DecoratorBlock": {
        const block = node as hbs.AST.BlockStatement;
        const helperCall = isHelperCall(block.path, block);
        if (helperCall) visitArguments(block, scope);
        else visitExpression(block.path, scope);
        // A section without a helper (`{{#account}}…{{/account}}`) renders its block with the value as context.
        const changesContext = !helperCall || contextChangingHelpers.has(block.path.original);
        const blockParams = block.program?.blockParams ?? [];
        visitProgram(block.program, {
          contexts: changesContext ? [...scope.contexts, false] : scope.contexts,
          blockParams:
            blockParams.length > 0 ? new Set([...scope.blockParams, ...blockParams]) : scope.blockParams,
        });
        visitProgram(block.inverse, scope);
        return;
      }
      case "PartialStatement":
      case "PartialBlockStatement": {
        const partial = node as hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement;
        // The partial's name is not a variable, but a dynamic name `{{> (pick) }}` is a helper call.
        if (partial.name.type === "SubExpression")
          visitArguments(partial.name as hbs.AST.SubExpression, scope);
        visitArguments(partial, scope);
        if (partial.type === "PartialBlockStatement") visitProgram(partial.program, scope);
        return;
      }
      default:
        // Content and comments.
        return;
    }
  };

  visitProgram(Handlebars.parse(source), { contexts: [true], blockParams: new Set() });
  return [...found].sort();
}

/** The dotted path a path expression reads from the root context, or undefined when it reads anything else. */
function rootPath(path: hbs.AST.PathExpression, scope: Scope): string | undefined {
  if (path.data) {
    // `@root.account.name` is the root context; `@index`, `@key`, `@first`… are loop data.
    return path.parts[0] === "root" && path.parts.length > 1 ? path.parts.slice(1).join(".") : undefined;
  }
  const [head] = path.parts;
  if (head === undefined) return undefined; // `this`, `.`, `..`
  // Handlebars' own rule: a path starting with `.` or `this` is never a block param.
  const scoped = /^\.|this\b/.test(path.original);
  if (!scoped && scope.blockParams.has(head)) return undefined;
  const isRoot = scope.contexts[scope.contexts.length - 1 - path.depth] ?? false;
  return isRoot ? path.parts.join(".") : undefined;
}

// ── File templates ──────────────────────────────────────────────────────────────────────────────

const defaultMessagesDir = new URL("../../../templates/messages", import.meta.url);
const defaultJourneysDir = new URL("../../../templates/journeys", import.meta.url);

/** `template.json`: what a message is, apart from its copy. */
export const TemplateManifest = z
  .strictObject({
    channel: z.enum(["email", "in_app"]),
    category: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]{0,49}$/,
        "must be lower-case letters, digits or _, e.g. onboarding, product_tips",
      ),
    description: z.string().min(1).max(500).optional(),
    /** In-app only: a banner (default) or a modal the contact has to close. */
    style: z.enum(["banner", "modal"]).optional(),
  })
  .refine((m) => m.style === undefined || m.channel === "in_app", {
    path: ["style"],
    message: "only an in-app message has a style (banner or modal)",
  });
export type TemplateManifest = z.infer<typeof TemplateManifest>;

export type TemplateChannel = TemplateManifest["channel"];

export type FileTemplate = {
  key: string;
  channel: TemplateChannel;
  category: string;
  description?: string;
  /** In-app only: how the widget shows it; a banner unless the manifest says modal. */
  style?: "banner" | "modal";
  /** Copy per locale (`en`, `ja`, `pt-BR`…): a one-line subject for email, a handlebars body. */
  locales: Record<string, { subject?: string; body: string }>;
};

export type FileProblem = { file: string; message: string };

/** Template or playbook files that cannot be loaded; `problems` names every bad file, not just the first. */
export class TemplateLoadError extends Error {
  readonly problems: FileProblem[];

  constructor(what: string, problems: FileProblem[]) {
    super(`Invalid ${what}:\n${problems.map((p) => `  ${p.file}: ${p.message}`).join("\n")}`);
    this.name = "TemplateLoadError";
    this.problems = problems;
  }
}

const copyFilePattern = /^([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.(subject|body)\.hbs$/;

/**
 * Reads every message template under `dir` (default: the repository's `templates/messages`), sorted by
 * key. Their partials are the renderer's (`loadRenderer` in apps/core/delivery/render.ts).
 */
export async function loadFileTemplates(dir: string | URL = defaultMessagesDir): Promise<FileTemplate[]> {
  const root = toPath(dir);
  const entries = await readdir(root, { withFileTypes: true });
  const templates: FileTemplate[] = [];
  const problems: FileProblem[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort(byName)) {
    const result = await readTemplateDir(join(root, entry.name), entry.name);
    if (result.ok) templates.push(result.template);
    else problems.push(...result.problems);
  }
  if (problems.length > 0) throw new TemplateLoadError("message templates", problems);
  return templates;
}

type TemplateDirResult = { ok: true; template: FileTemplate } | { ok: false; problems: FileProblem[] };

async function readTemplateDir(dir: string, key: string): Promise<TemplateDirResult> {
  const problems: FileProblem[] = [];
  const problem = (file: string, message: string) => problems.push({ file, message });

  if (!TemplateKey.safeParse(key).success)
    problem(dir, "folder name must be a template key (a-z, 0-9, _ or -)");

  const manifestFile = join(dir, "template.json");
  const manifest = await readManifest(manifestFile, problem);

  const copy: Record<string, { subject?: string; body?: string }> = {};
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort(byName)) {
    if (entry.name === "template.json" || entry.name.startsWith(".")) continue;
    const file = join(dir, entry.name);
    const match = entry.isFile() ? copyFilePattern.exec(entry.name) : null;
    if (!match) {
      problem(file, "unexpected file; expected template.json, <locale>.subject.hbs or <locale>.body.hbs");
      continue;
    }
    const [, locale = "", part] = match;
    const source = await readFile(file, "utf8");
    const parsed = checkSyntax(source);
    if (parsed !== undefined) problem(file, parsed);
    const variant = copy[locale] ?? {};
    copy[locale] = variant;
    if (part === "subject") {
      const subject = source.trim();
      if (subject === "") problem(file, "subject is empty");
      else if (subject.includes("\n")) problem(file, "subject must be one line");
      variant.subject = subject;
    } else {
      if (source.trim() === "") problem(file, "body is empty");
      variant.body = source;
    }
  }

  if (Object.keys(copy).length === 0)
    problem(dir, "no copy: add <locale>.body.hbs (and <locale>.subject.hbs for email)");
  const locales: FileTemplate["locales"] = {};
  for (const [locale, { subject, body }] of Object.entries(copy)) {
    if (body === undefined) problem(join(dir, `${locale}.body.hbs`), "missing: every locale needs a body");
    if (manifest?.channel === "email" && subject === undefined) {
      problem(join(dir, `${locale}.subject.hbs`), "missing: an email needs a subject in every locale");
    }
    if (manifest?.channel === "in_app" && subject !== undefined) {
      problem(join(dir, `${locale}.subject.hbs`), "an in-app message has no subject; remove this file");
    }
    if (body !== undefined) locales[locale] = subject === undefined ? { body } : { subject, body };
  }

  if (manifest === undefined || problems.length > 0) return { ok: false, problems };
  const template: FileTemplate = { key, channel: manifest.channel, category: manifest.category, locales };
  if (manifest.description !== undefined) template.description = manifest.description;
  if (manifest.style !== undefined) template.style = manifest.style;
  return { ok: true, template };
}

async function readManifest(
  file: string,
  problem: (file: string, message: string) => void,
): Promise<TemplateManifest | undefined> {
  const json = await readJson(file);
  if (!json.ok) {
    problem(file, json.message);
    return undefined;
  }
  const parsed = TemplateManifest.safeParse(json.value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problem(file, issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message);
  }
  return undefined;
}

/** The parse error of a handlebars source, if any. */
function checkSyntax(source: string): string | undefined {
  try {
    Handlebars.parse(source);
    return undefined;
  } catch (error) {
    return `handlebars syntax error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What the journey validator needs of a template: its channel and every variable any locale reads. */
export function toTemplateInfo(template: FileTemplate): TemplateInfo {
  const variables = new Set<string>();
  for (const { subject, body } of Object.values(template.locales)) {
    for (const source of subject === undefined ? [body] : [subject, body]) {
      for (const variable of extractVariables(source)) variables.add(variable);
    }
  }
  return { key: template.key, channel: template.channel, variables: [...variables].sort() };
}

// ── Playbooks ───────────────────────────────────────────────────────────────────────────────────

export type PlaybookFile = {
  /** The file name without `.json`; the definition's own `key` should match it. */
  key: string;
  file: string;
  /** Parsed JSON, not yet validated: that is the journey validator's job. */
  definition: unknown;
};

/** Reads every journey playbook (`<key>.json`) under `dir` (default: the repository's `templates/journeys`). */
export async function loadPlaybooks(dir: string | URL = defaultJourneysDir): Promise<PlaybookFile[]> {
  const root = toPath(dir);
  const files = (await readdir(root, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith(".json"))
    .sort(byName);
  const playbooks: PlaybookFile[] = [];
  const problems: FileProblem[] = [];
  for (const entry of files) {
    const file = join(root, entry.name);
    const json = await readJson(file);
    if (json.ok) playbooks.push({ key: entry.name.slice(0, -".json".length), file, definition: json.value });
    else problems.push({ file, message: json.message });
  }
  if (problems.length > 0) throw new TemplateLoadError("journey playbooks", problems);
  return playbooks;
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

async function readJson(file: string): Promise<JsonResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { ok: false, message: missing ? "missing" : `cannot read: ${String(error)}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function toPath(dir: string | URL): string {
  return typeof dir === "string" ? dir : fileURLToPath(dir);
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
