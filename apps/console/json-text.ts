import { syntaxErrorAt } from "./json-positions";

/** A JSON text as typed in the editor: its value, or where it stops being JSON. */
export type JsonText = { ok: true; value: unknown } | { ok: false; at: number; line: number; column: number };

/** Parses `text`; on a syntax error, the offset (UTF-16, as the browser's editor counts) with its line and column. */
export function parseJsonText(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const at = syntaxErrorAt(text) ?? text.length;
    const before = text.slice(0, at).split("\n");
    return { ok: false, at, line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  }
}
