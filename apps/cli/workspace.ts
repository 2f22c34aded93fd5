import type { Command } from "commander";
import {
  chooseWorkspace,
  getIdentity,
  patchIdentity,
  type WorkspaceIdentity,
  WorkspaceIdentityPatch,
} from "../core/workspace/identity";
import { loadEnv } from "../env";
import { openStateDatabase } from "./state";

type Out = { out: (line: string) => void; err: (line: string) => void };

/** Each identity field and its option; `--<option> ""` clears a field. */
const options = [
  ["name", "name", "the company customers know"],
  ["productName", "product-name", "the product's name in the email header"],
  ["appUrl", "app-url", "where customers sign in (links.app, the main button)"],
  ["logoUrl", "logo-url", "an image at the top of every email"],
  ["brandColor", "brand-color", "#rrggbb for the header rule and the buttons"],
  ["senderName", "sender-name", "From's display name and the footer's sender"],
  ["senderAddress", "sender-address", "From's address"],
  ["replyTo", "reply-to", "Reply-To of every email"],
  ["postalAddress", "postal-address", 'the footer\'s postal address; "\\n" between lines'],
  ["supportUrl", "support-url", "the footer's help link"],
] as const satisfies readonly (readonly [keyof WorkspaceIdentity, string, string])[];

function print(identity: WorkspaceIdentity, io: Out): void {
  for (const [field, option] of options) {
    const value = identity[field];
    io.out(`${option.padEnd(15)} ${value === null ? "-" : value.replaceAll("\n", "\\n")}`);
  }
}

/** `volante workspace show|set`: the identity customers see (the same as `GET/PATCH /v1/workspace`). */
export function registerWorkspaceCommands(program: Command, io: Out): void {
  const workspace = program.command("workspace").description("what customers see of a workspace");

  workspace
    .command("show")
    .description("the workspace's name, app link, logo, colour, sender and footer")
    .option("--workspace <id>", "the workspace (default: the only one)")
    .action(async (opts: { workspace?: string }) => {
      const { database, close } = await openStateDatabase(loadEnv());
      try {
        const chosen = await chooseWorkspace(database.db, opts.workspace);
        if (!chosen.ok) return fail(io, chosen.reason);
        const identity = await getIdentity(database.db, chosen.workspaceId);
        if (identity) print(identity, io);
      } finally {
        await close();
      }
    });

  const set = workspace
    .command("set")
    .description("change the fields given, checked as PATCH /v1/workspace checks them")
    .option("--workspace <id>", "the workspace (default: the only one)");
  for (const [, option, description] of options) set.option(`--${option} <value>`, description);
  set.action(async (opts: Record<string, string | undefined>) => {
    const patch: Record<string, string | null> = {};
    for (const [field] of options) {
      const value = opts[field];
      // commander names options in camelCase, as the fields are.
      if (value !== undefined) patch[field] = value === "" ? null : value.replaceAll("\\n", "\n");
    }
    const parsed = WorkspaceIdentityPatch.safeParse(patch);
    if (!parsed.success) {
      // One message an option: zod's own check and ours can both fail an address.
      const first = parsed.error.issues.filter(
        (issue, i, all) => all.findIndex((other) => other.path[0] === issue.path[0]) === i,
      );
      for (const issue of first) {
        const option = options.find(([field]) => field === issue.path[0])?.[1] ?? String(issue.path[0]);
        io.err(`volante: --${option}: ${issue.message}`);
      }
      process.exitCode = 1;
      return;
    }
    const { database, close } = await openStateDatabase(loadEnv());
    try {
      const chosen = await chooseWorkspace(database.db, opts.workspace);
      if (!chosen.ok) return fail(io, chosen.reason);
      print(await patchIdentity(database.db, chosen.workspaceId, parsed.data, new Date()), io);
    } finally {
      await close();
    }
  });
}

function fail(io: Out, reason: string): void {
  io.err(`volante: ${reason}`);
  process.exitCode = 1;
}
