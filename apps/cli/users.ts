import { type Command, Option } from "commander";
import { ROLES } from "../../db/schema/users";
import type { Role } from "../core/workspace/roles";
import { withStateStore } from "./keys";

type Out = { out: (line: string) => void; err: (line: string) => void };

/**
 * `volante users create|list`: people who sign in to the console. `create` prints a single-use link
 * that sets the password (never a password on the command line, where `ps` and shell history see it):
 * how the first admin of a fresh install gets in.
 */
export function registerUserCommands(program: Command, io: Out): void {
  const users = program
    .command("users")
    .description("manage the console's people (through a running Volante when there is one)");

  users
    .command("create")
    .description("add a person and print the link where they set their password (single use, 7 days)")
    .requiredOption("--email <email>", "their email, which they sign in with")
    .requiredOption("--name <name>", "their name")
    .addOption(new Option("--role <role>", "what they may do").choices(ROLES).default("admin"))
    .option("--workspace <id>", "the workspace (default: the only one)")
    .action((options: { email: string; name: string; role: Role; workspace?: string }) =>
      withStateStore(async (store) => {
        const created = await store.createUser(
          { email: options.email, name: options.name, role: options.role },
          options.workspace,
        );
        if (!created.ok) {
          io.err(`volante: cannot create ${options.email}: ${created.reason}`);
          process.exitCode = 1;
          return;
        }
        io.out(`Person ${created.user.id}: ${created.user.email} (${created.user.role})`);
        if (created.invitationLink)
          io.out(`Set the password (once, within 7 days): ${created.invitationLink}`);
      }),
    );

  users
    .command("list")
    .description("everyone: id, email, name, role, state")
    .option("--workspace <id>", "the workspace (default: the only one)")
    .action((options: { workspace?: string }) =>
      withStateStore(async (store) => {
        const found = await store.listUsers(options.workspace);
        if (!found.ok) {
          io.err(`volante: ${found.reason}`);
          process.exitCode = 1;
          return;
        }
        if (found.users.length === 0)
          io.out("No people yet: `volante users create --email … --name … --role admin`.");
        for (const u of found.users) {
          const state = u.disabled ? "disabled" : u.hasPassword ? "active" : "invited";
          io.out(`${u.id}  ${u.email}  ${u.name}  ${u.role}  ${state}`);
        }
      }),
    );
}
