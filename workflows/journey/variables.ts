/**
 * Variables a journey supplies to every message template it sends. The validator refuses a template
 * that uses anything else, so a typo surfaces at publish time, not as an empty greeting in an inbox.
 */
export const templateVariables = [
  "account.name",
  "account.externalId",
  "account.tier",
  "account.arr",
  "account.licenses",
  "account.renewalDate",
  "account.contractStart",
  "account.lifecycleStage",
  "account.ownerCsm",
  "account.timezone",
  "contact.name",
  "contact.firstName",
  "contact.email",
  "contact.role",
  "contact.locale",
  "csm.name",
  "csm.email",
  "usage.activeUsers28d",
  "usage.deploymentRatio",
  "usage.daysSinceLastLogin",
  "usage.licenses",
  "health.score",
  "health.band",
  "renewal.date",
  "renewal.daysToRenewal",
  "links.unsubscribe",
  "links.preferences",
  "links.app",
  "workspace.name",
  "workspace.productName",
  "workspace.senderName",
  "workspace.appUrl",
  "workspace.logoUrl",
  "workspace.brandColor",
  "workspace.postalAddress",
  "workspace.supportUrl",
  "journey.name",
] as const;

/** Open-ended maps: any key below these prefixes is allowed. */
export const templateVariablePrefixes = ["account.attributes.", "contact.attributes."] as const;

export function isSuppliedVariable(path: string): boolean {
  return (
    (templateVariables as readonly string[]).includes(path) ||
    templateVariablePrefixes.some((prefix) => path.startsWith(prefix) && path.length > prefix.length)
  );
}

/** What the validator needs to know of a message template. */
export type TemplateInfo = {
  key: string;
  channel: "email" | "in_app";
  /** Dotted variable paths the template reads (subject and body, every locale). */
  variables: string[];
};
