import { Writable } from "node:stream";
import { type DestinationStream, destination, type Logger as PinoLogger, pino, stdSerializers } from "pino";
import pretty from "pino-pretty";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
/** `json`: one JSON object per line (files, collectors); `pretty`: coloured, for a person at a terminal. */
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;

export type Logger = Record<LogLevel, (message: string, fields?: LogFields) => void> & {
  /** A logger whose every line carries `bindings` too (e.g. a workflow's ids). */
  child(bindings: LogFields): Logger;
};

/**
 * Volante's logger, on pino: to stderr unless `write` is given (tests capture lines with it).
 * Lines are JSON (`{"level":"info","time":"…","msg":"…",…fields}`) unless `format` is `pretty`.
 * An `Error` in `error` or `err` is written with its type, message, stack and cause.
 */
export function createLogger(
  level: LogLevel,
  write?: (line: string) => void,
  format: LogFormat = "json",
): Logger {
  const stream: DestinationStream =
    format === "pretty"
      ? pretty({ destination: write ? lineStream(write) : 2, sync: true, translateTime: "SYS:HH:MM:ss.l" })
      : write
        ? { write }
        : destination({ fd: 2, sync: true });
  const root = pino(
    {
      level,
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: stdSerializers.err, err: stdSerializers.err },
    },
    stream,
  );
  return wrap(root);
}

/** pino-pretty writes to a stream; a capturing function becomes one. */
function lineStream(write: (line: string) => void): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      write(String(chunk));
      done();
    },
  });
}

/** The format when `LOG_FORMAT` is unset: pretty for a person at a terminal, JSON lines otherwise. */
export function defaultLogFormat(terminal: boolean): LogFormat {
  return terminal ? "pretty" : "json";
}

function wrap(p: PinoLogger): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (fields) p[level](fields, message);
      else p[level](message);
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (bindings) => wrap(p.child(bindings)),
  };
}
