import { catalog } from "./catalog";

/** The inbox pages' words (keys start with "inbox."). */
export const inboxMessages = catalog({}, {});
