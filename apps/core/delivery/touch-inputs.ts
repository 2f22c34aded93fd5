import type { Db } from "../../../db/client";
import { accountFacts, factsOf } from "../accounts/facts";
import type { FileTemplate } from "../templates/files";
import { findTemplate, mergeTemplate, type TemplateCopy } from "../templates/message-templates";
import { type OwnerCsm, ownerCsmOf, type Person, peopleFor, recipients } from "./recipients";
import type { RunContext } from "./run-context";

/**
 * What a touch reads: from what its transition read ahead with the run context (run-context.ts), or,
 * called on its own, with a query each.
 */

/** The people `to` names, each with its unsubscribes. */
export async function peopleOf(db: Db, context: RunContext, to: string): Promise<Person[]> {
  const read = context.read;
  if (to === "owner_csm" || (read?.contacts && read.tos.includes(to)))
    return peopleFor(context.account, read?.contacts ?? [], to);
  return recipients(db, context.account, to);
}

/** The template as the workspace sends it (its rows over the file default). */
export async function copyOf(
  db: Db,
  files: FileTemplate[],
  context: RunContext,
  key: string,
): Promise<TemplateCopy | null> {
  const rows = context.read?.templates.get(key);
  if (rows)
    return mergeTemplate(
      rows,
      files.find((f) => f.key === key),
    );
  return findTemplate(db, files, context.account.workspaceId, key);
}

/** The account's owner CSM, with the name from the CSM directory. */
export async function ownerCsmFor(db: Db, context: RunContext): Promise<OwnerCsm | null> {
  const { account, read } = context;
  if (!read) return ownerCsmOf(db, account);
  return account.ownerCsm ? { name: read.csmName, email: account.ownerCsm } : null;
}

/** The account's facts at `at`; the account row is the context's, current after a set_stage step. */
export async function factsAt(db: Db, context: RunContext, at: string): Promise<Record<string, unknown>> {
  const { account, read } = context;
  if (read?.usage && read.at === at) return factsOf(account, read.usage, at);
  return accountFacts(db, account, at);
}
