import { type Command, Option } from "commander";
import { ROLES } from "../../db/schema/users";
import type { Role } from "../core/workspace/roles";
import { loadEnv } from "../env";
import { firstKeyFile } from "./first-key";
import { openStateStore, type StateStore } from "./state";

type Out = { out: (line: string) => void; err: (line: string) => void };

/** Runs `work` on the state (through a running Volante when there is one), closing it after. */
export async function withStateStore(work: (store: StateStore) => Promise<void>): Promise<void> {
  const store = await openStateStore(loadEnv());
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

/** `volante keys list|create|revoke`: API keys of the workspaces (the secret is shown once, at create). */
export function registerKeyCommands(program: Command, io: Out): void {
  const keys = program
    .command("keys")
    .description("manage API keys (through a running Volante when there is one)");

  keys
    .command("list")
    .description("every key: id, prefix, name, workspace, state, role")
    .option("--workspace <id>", "only this workspace's keys")
    .action((options: { workspace?: string }) =>
      withStateStore(async (store) => {
        const found = await store.listKeys(options.workspace);
        if (found.length === 0) {
          io.out(
            options.workspace
              ? `No keys in workspace ${options.workspace}.`
              : "No keys yet: `volante start` makes the first workspace and its key.",
          );
          return;
        }
        for (const k of found) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
          io.out(
            `${k.id}  ${k.prefix}…  ${k.name}  workspace ${k.workspaceId} (${k.workspace})  ${state}  role ${k.role}`,
          );
        }
      }),
    );

  keys
    .command("create")
    .description(
      "create a key and print it (shown once); also how to get a key again when the first start's is lost",
    )
    .option("--workspace <id>", "the workspace (default: the only one)")
    .option("--name <name>", "what the key is for", "cli")
    .addOption(
      new Option("--role <role>", "what the key may do (viewer: read only)").choices(ROLES).default("admin"),
    )
    .action((options: { workspace?: string; name: string; role: Role }) =>
      withStateStore(async (store) => {
        const created = await store.createKey(options.name, options.workspace, options.role);
        if (!created.ok) {
          const hint =
            created.reason === "no workspace yet"
              ? "`volante start` makes the first one (its key goes to " +
                `${firstKeyFile(loadEnv().home)}), or \`volante workspaces create <name>\``
              : "name one with --workspace <id> (see `volante keys list`)";
          io.err(`volante: ${created.reason}: ${hint}`);
          process.exitCode = 1;
          return;
        }
        io.out(`Key ${created.keyId} for workspace ${created.workspaceId}\nAPI key ${created.apiKey}`);
      }),
    );

  keys
    .command("revoke <key-or-id>")
    .description("revoke a key, named by its id or by the key itself; requests with it get 401 from then on")
    .action((keyOrId: string) =>
      withStateStore(async (store) => {
        const result = await store.revokeKey(keyOrId);
        if (!result.ok) {
          io.err(`volante: cannot revoke: ${result.reason}`);
          process.exitCode = 1;
          return;
        }
        io.out(`Revoked key ${result.keyId} of workspace ${result.workspaceId} (by ${store.via})`);
      }),
    );
}
