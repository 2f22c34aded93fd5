import { z } from "zod";
import { ROLES } from "../../../db/schema/users";

/** What a person or an API key may do in its workspace; each role can do all that the ones before it can. */
export const Role = z.enum(ROLES).meta({
  id: "Role",
  description:
    "viewer reads; csm also works escalations and accounts; cs_ops also journeys, templates and settings; admin also people and keys",
});
export type Role = z.infer<typeof Role>;

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
