import type { Logger } from "../logger";

/** What a starting process has brought up, stopped again in reverse order. */
export type Stack = {
  push(name: string, stop: () => Promise<unknown>): void;
  /** Stops every part, the last started first; a part that fails to stop is logged, the rest still stop. Idempotent. */
  stop(): Promise<void>;
};

export function createStack(log: Pick<Logger, "warn">): Stack {
  const parts: { name: string; stop: () => Promise<unknown> }[] = [];
  return {
    push: (name, stop) => {
      parts.push({ name, stop });
    },
    async stop() {
      for (const part of parts.splice(0).reverse()) {
        try {
          await part.stop();
        } catch (err) {
          log.warn(`stopping ${part.name} failed`, { error: err });
        }
      }
    },
  };
}
