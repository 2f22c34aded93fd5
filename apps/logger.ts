const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof levels;

export type Logger = Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;

/** A line-per-record logger to stderr; quiet below `level`. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const make =
    (at: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (levels[at] < levels[level]) return;
      const extra = fields ? ` ${JSON.stringify(fields)}` : "";
      write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}${extra}\n`);
    };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}
