/** One line of the dev server's output as a log record: its JSON (`--log-format json`) or plain text. */
export type ServerLogRecord = {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: Record<string, unknown>;
};

// CSI sequences (colours, cursor moves): a server started without `--color never` still writes them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

const levels: Record<string, ServerLogRecord["level"]> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  dpanic: "error",
  panic: "error",
  fatal: "error",
};

export function parseServerLine(line: string): ServerLogRecord {
  const text = line.replace(ANSI, "").trim();
  if (text.startsWith("{")) {
    try {
      const { msg, level, time: _time, ...fields } = JSON.parse(text) as Record<string, unknown>;
      return {
        level: levels[String(level).toLowerCase()] ?? "info",
        msg: typeof msg === "string" ? msg : text,
        fields,
      };
    } catch {
      // Not JSON after all: kept as text below.
    }
  }
  return { level: "info", msg: text, fields: {} };
}
