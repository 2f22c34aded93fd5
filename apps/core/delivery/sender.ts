import type { accounts } from "../../../db/schema/index";
import { mailboxOf } from "../shared/addresses";
import type { Settings } from "../workspace/settings";
import type { OwnerCsm } from "./recipients";

export type Sender = { from: string | { name: string; address: string }; replyTo: string | null };

/** From and Reply-To: the workspace's sender, or the owner CSM for the tiers that get a person. */
export function senderFor(
  settings: Settings,
  account: typeof accounts.$inferSelect,
  csm: OwnerCsm | null,
): Sender {
  if (csm && settings.email.csmSenderTiers.includes(account.tier)) {
    const from = csm.name ? { name: csm.name, address: csm.email } : csm.email;
    return { from, replyTo: csm.email };
  }
  return { from: settings.email.from, replyTo: settings.email.replyTo };
}

/** The domain of a sender, for Message-IDs. */
export function domainOf(from: string | { address: string }): string {
  const address = typeof from === "string" ? (mailboxOf(from)?.address ?? from) : from.address;
  return address.split("@")[1] ?? "volante.local";
}
