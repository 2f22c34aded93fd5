import { catalog } from "./catalog";

/** The home pages' words (keys start with "home."). */
export const homeMessages = catalog({}, {});
