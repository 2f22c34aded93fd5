import type { AppEnv } from "../api/context";
import type { SignedIn } from "../core/workspace/sessions";
import type { Locale, T } from "./i18n";

/** The API's variables plus who is signed in (absent on the sign-in pages) and the page language. */
export type ConsoleEnv = {
  Variables: AppEnv["Variables"] & {
    user: SignedIn | undefined;
    locale: Locale;
    t: T;
  };
};
