import { catalog } from "./catalog";

/** The profile pages' words (keys start with "profile."). */
export const profileMessages = catalog({}, {});
