import { catalog } from "./catalog";

/** The accounts pages' words (keys start with "accounts."). */
export const accountsMessages = catalog({}, {});
