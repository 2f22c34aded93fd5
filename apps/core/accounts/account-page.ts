import type { Db } from "../../../db/client";
import { listEnrollments } from "../enrollments/queries";
import type { Enrollment } from "../enrollments/schemas";
import { openAccountEscalations } from "../escalations/account-escalations";
import type { Escalation } from "../escalations/queries";
import { type Account, findAccountRow, toAccount } from "./accounts";
import { type ContactSubscription, contactSubscriptions } from "./contact-subscriptions";
import { listRenewals, type Renewal } from "./renewals";

export type AccountPage = {
  account: Account;
  contacts: ContactSubscription[];
  openEscalations: Escalation[];
  /** The newest 50 enrollments. */
  enrollments: Enrollment[];
  renewals: Renewal[];
};

/**
 * What the console's account page shows beside health and timeline (health/queries.ts and
 * timeline.ts serve those): contacts with their subscriptions, open escalations, enrollments and
 * renewals. Null when the workspace has no such account.
 */
export async function accountPage(
  db: Db,
  workspaceId: string,
  externalId: string,
): Promise<AccountPage | null> {
  const row = await findAccountRow(db, workspaceId, externalId);
  if (!row) return null;
  const [contacts, openEscalations, enrollments, renewals] = await Promise.all([
    contactSubscriptions(db, workspaceId, row.id),
    openAccountEscalations(db, workspaceId, row.id),
    listEnrollments(db, workspaceId, { account: externalId, limit: 50 }),
    listRenewals(db, workspaceId, externalId),
  ]);
  return {
    account: toAccount(row),
    contacts,
    openEscalations,
    enrollments: enrollments.data,
    renewals: renewals ?? [],
  };
}
