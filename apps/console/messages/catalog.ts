/**
 * One area's words in English and Japanese; the Japanese is typed by the English keys, so a message
 * missing in either language fails the typecheck. i18n.ts merges every area into one catalog.
 */
export function catalog<const E extends Record<string, string>>(en: E, ja: Record<keyof E, string>) {
  return { en, ja };
}
