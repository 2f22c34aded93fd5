import type { accounts } from "../../../db/schema/index";
import type { WorkspaceIdentity } from "../workspace/identity";
import type { OwnerCsm, Person } from "./recipients";

/** What the message is about: the account, its CSM, its facts at send time, the sending journey. */
export type MessageSubject = {
  account: typeof accounts.$inferSelect;
  workspace: WorkspaceIdentity;
  journeyName: string;
  csm: OwnerCsm | null;
  /** The account's facts at send time (apps/core/accounts/facts.ts): usage and health. */
  facts: Record<string, unknown>;
  at: string;
};

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * What a template can use (workflows/journey/variables.ts lists it): the account, the contact (whose
 * time zone formatDate uses, else the account's), its CSM, usage and health, renewal dates and links.
 */
export function messageContext(subject: MessageSubject, person: Person, unsubscribeUrl: string) {
  const account = subject.account;
  return {
    account: {
      name: account.name,
      externalId: account.externalId,
      tier: account.tier,
      arr: account.arr,
      licenses: account.licenses,
      renewalDate: account.renewalDate,
      contractStart: account.contractStart,
      lifecycleStage: account.lifecycleStage,
      ownerCsm: account.ownerCsm,
      timezone: account.timezone,
      attributes: account.attributes,
    },
    contact: {
      name: person.name,
      firstName: person.name?.split(/\s+/)[0] ?? null,
      email: person.email,
      role: person.role,
      locale: person.locale,
      timezone: person.timezone,
      attributes: person.attributes,
    },
    csm: { name: subject.csm?.name ?? null, email: subject.csm?.email ?? null },
    usage: {
      licenses: account.licenses,
      activeUsers28d: numberOrNull(subject.facts["adoption.active_users_28d"]),
      deploymentRatio: numberOrNull(subject.facts["deployment.ratio"]),
      daysSinceLastLogin: numberOrNull(subject.facts.days_since_last_login),
    },
    health: { score: account.healthScore, band: account.healthBand },
    renewal: {
      date: account.renewalDate,
      daysToRenewal: account.renewalDate
        ? Math.round((Date.parse(`${account.renewalDate}T00:00:00Z`) - Date.parse(subject.at)) / 86_400_000)
        : null,
    },
    links: {
      app: subject.workspace.appUrl,
      unsubscribe: unsubscribeUrl,
      preferences: unsubscribeUrl,
    },
    workspace: workspaceContext(subject.workspace),
    journey: { name: subject.journeyName },
  };
}

/**
 * The workspace as templates and the layout see it: the product and the sender default to the
 * name, so a header or a footer is never empty; the rest is null until set (`GET /v1/workspace`).
 */
export function workspaceContext(identity: WorkspaceIdentity) {
  return {
    name: identity.name,
    productName: identity.productName ?? identity.name,
    senderName: identity.senderName ?? identity.name,
    appUrl: identity.appUrl,
    logoUrl: identity.logoUrl,
    brandColor: identity.brandColor,
    postalAddress: identity.postalAddress,
    supportUrl: identity.supportUrl,
  };
}
