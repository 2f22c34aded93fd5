import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { quarterlyRetention } from "../../core/accounts/quarterly-retention";
import { upcomingRenewals } from "../../core/accounts/upcoming-renewals";
import { listCsms } from "../../core/escalations/csms";
import { openEscalationCountsByTier, openEscalationsByDeadline } from "../../core/escalations/deadlines";
import { bandSummary } from "../../core/health/band-summary";
import type { SignedIn } from "../../core/workspace/sessions";
import type { ConsoleEnv } from "../context";
import { fill, formatter } from "../format";
import { page, requireRole, signedIn } from "../page";
import { type EscalationsView, Home } from "../pages/home";

/** Renewals listed on Home: the soonest of the next 120 days. */
const RENEWALS = { days: 120, limit: 20 };
/** A CSM's own escalations shown on Home; the rest are in the inbox. */
const MINE = 25;
/** The workspace's nearest deadlines shown to everyone who is not a CSM. */
const NEAREST = 5;

/** The signed-in landing page at /app, for every role. */
export function homeRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.use("/app", requireRole("viewer"));
  app.get("/app", async (c) => {
    const user = signedIn(c);
    const now = deps.clock.now();
    const [escalations, bands, renewals, retention] = await Promise.all([
      escalationsFor(deps, user, now),
      bandSummary(deps.db, user.workspaceId, now),
      upcomingRenewals(deps.db, user.workspaceId, now, RENEWALS),
      quarterlyRetention(deps.db, user.workspaceId, now),
    ]);
    const t = c.var.t;
    return page(
      c,
      t("home.title"),
      <Home
        t={t}
        f={formatter(c.var.locale, user.timeZone)}
        now={now}
        escalations={escalations}
        bands={bands}
        renewals={renewals}
        retention={
          retention.renewals === 0
            ? null
            : {
                quarters: retention.quarters.map((q) => fill(t("home.retention.quarter"), q)),
                grr: retention.grr,
                nrr: retention.nrr,
              }
        }
      />,
    );
  });
  return app;
}

/**
 * A CSM (a CSM record with the person's email, or the csm role) sees their own escalations; everyone
 * else the workspace's, by tier and nearest. Times are in the person's zone (SignedIn.timeZone).
 */
async function escalationsFor(deps: AppDeps, user: SignedIn, now: Date): Promise<EscalationsView> {
  const [csm] = await listCsms(deps.db, user.workspaceId, user.email);
  if (csm || user.role === "csm")
    return {
      kind: "mine",
      // One more than shown tells whether there are more.
      list: await openEscalationsByDeadline(
        deps.db,
        user.workspaceId,
        { assignee: user.email, limit: MINE + 1 },
        now,
      ),
      shown: MINE,
      timeZone: user.timeZone,
    };
  const [counts, nearest] = await Promise.all([
    openEscalationCountsByTier(deps.db, user.workspaceId, now),
    openEscalationsByDeadline(deps.db, user.workspaceId, { limit: NEAREST }, now),
  ]);
  return { kind: "all", counts, nearest, timeZone: user.timeZone };
}
