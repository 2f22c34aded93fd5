import type { Env } from "../env";

export type Role = "api" | "worker";

/**
 * What every process of a split deployment must share, and why. The secrets (workspace signing
 * secrets, API key hashes, console sessions, webhook secrets) already live in the database, so
 * sharing DATABASE_URL shares them.
 */
const shared: { variable: keyof Env; roles: Role[]; why: string }[] = [
  {
    variable: "DATABASE_URL",
    roles: ["api", "worker"],
    why: "the embedded PGlite database allows one process; every API and worker must use one PostgreSQL",
  },
  {
    variable: "TEMPORAL_ADDRESS",
    roles: ["api", "worker"],
    why: "without it each process would start its own Temporal dev server; all must use one Temporal cluster",
  },
  {
    variable: "VOLANTE_PUBLIC_URL",
    roles: ["api", "worker"],
    why: "links in emails (unsubscribe, tracking, invitations) and the console's origin must name the load balancer, not one process's port",
  },
  {
    variable: "SMTP_URL",
    roles: ["api", "worker"],
    why: "without it email goes to a dev outbox on this process's disk (VOLANTE_HOME), which no other process and no recipient sees",
  },
];

/** Why this role may not start with this environment: one line per missing variable, or none. */
export function missingSharedSetup(env: Env, role: Role): string[] {
  return shared
    .filter((s) => s.roles.includes(role) && !env[s.variable])
    .map((s) => `  ${s.variable} is not set: ${s.why}.`);
}

/** Throws one message naming each missing variable and why, when this role may not start. */
export function requireSharedSetup(env: Env, role: Role): void {
  const missing = missingSharedSetup(env, role);
  if (missing.length === 0) return;
  throw new Error(
    `\`volante ${role}\` runs beside other Volante processes, which must share their database, Temporal, public URL and mail server:\n${missing.join("\n")}\n(\`volante start\` runs everything in one process on embedded defaults.)`,
  );
}
