import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { AppDeps } from "../../api/context";
import { type Csm, CsmInput, listCsms, upsertCsm } from "../../core/escalations/csms";
import { previewBands } from "../../core/health/band-preview";
import { Scorecard } from "../../core/health/scorecard";
import { getScorecard, saveScorecard } from "../../core/health/scorecard-store";
import { pausedJourneys } from "../../core/journeys/paused";
import { EmailAddress } from "../../core/shared/addresses";
import { isUuid } from "../../core/shared/uuid";
import { addApiKey, listApiKeys, revokeApiKey } from "../../core/workspace/api-keys";
import {
  getIdentity,
  patchIdentity,
  type WorkspaceIdentity,
  WorkspaceIdentityPatch,
} from "../../core/workspace/identity";
import { Role } from "../../core/workspace/roles";
import { putSettings, Settings, showSettings } from "../../core/workspace/settings";
import type { ConsoleEnv } from "../context";
import { isHtmx, page, requireRole, signedIn } from "../page";
import {
  ConfirmRevoke,
  type FormState,
  ScorecardSection,
  SECTIONS,
  type Section,
  SettingsPage,
  type SettingsView,
} from "../pages/settings";

type Values = FormState["values"];
type Body = Record<string, string | File | (string | File)[]>;

/** What one request changes of the page drawn from stored values: a form as typed, a notice, a preview. */
type Shown = Partial<Pick<SettingsView, "notice" | "invalid" | "newKey" | "preview">> & {
  forms?: Partial<Record<Section, FormState>>;
};

const isSection = (value: string | undefined): value is Section =>
  (SECTIONS as readonly string[]).includes(value ?? "");

/**
 * Settings (issue 18 item 6): the workspace's identity, delivery policy, CSMs, API keys (admins) and
 * health scorecard with a preview of the bands before saving. CS Ops and admins only; each form saves
 * through the use case its API route calls, and a bad value comes back at its field, typed values kept.
 */
export function settingsRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();

  app.use("/app/settings", requireRole("cs_ops"));
  app.use("/app/settings/*", requireRole("cs_ops"));
  app.use("/app/settings/keys", requireRole("admin"));
  app.use("/app/settings/keys/*", requireRole("admin"));

  /** The whole page from what is stored, with this request's forms, notices and preview over it. */
  const render = async (c: Context<ConsoleEnv>, shown: Shown = {}, status: 200 | 422 = 200) => {
    const user = signedIn(c);
    const ws = user.workspaceId;
    const [identity, settings, csms, card, keys, paused] = await Promise.all([
      getIdentity(deps.db, ws),
      showSettings(deps.db, ws),
      listCsms(deps.db, ws),
      getScorecard(deps.db, ws),
      user.role === "admin" ? listApiKeys(deps.db, ws) : Promise.resolve(null),
      pausedJourneys(deps.db, ws),
    ]);
    if (!identity) throw new Error(`workspace ${ws} not found`);
    const editing = csms.find((x) => x.email === c.req.query("csm"));
    const stored: Record<Section, FormState> = {
      identity: clean(identityValues(identity)),
      delivery: clean(deliveryValues(settings)),
      csms: clean(editing ? csmValues(editing) : { active: "true", locale: "en" }),
      keys: clean({ role: "viewer" }),
      scorecard: clean(scorecardValues(card.scorecard)),
    };
    const { forms = {}, ...rest } = shown;
    const view: SettingsView = {
      forms: { ...stored, ...forms },
      csms,
      paused,
      defaultZone: settings.delivery.defaultTimezone,
      keys,
      scorecard: card.scorecard,
      scorecardIsDefault: card.isDefault,
      ...rest,
    };
    // htmx asked for the scorecard section alone; it swaps 2xx answers only, so a refusal is a 200 too.
    if (isHtmx(c) && c.req.path === "/app/settings/scorecard")
      return c.html(<ScorecardSection t={c.var.t} locale={c.var.locale} view={view} />, 200);
    return page(
      c,
      c.var.t("settings.title"),
      <SettingsPage t={c.var.t} locale={c.var.locale} view={view} />,
      status,
    );
  };

  /** A form sent back as typed, its problems at their fields. */
  const refuse = (c: Context<ConsoleEnv>, section: Section, values: Values, errors: FormState["errors"]) =>
    render(c, { forms: { [section]: { values, errors } }, invalid: section }, 422);

  app.get("/app/settings", (c) => {
    const saved = c.req.query("saved");
    const t = c.var.t;
    if (saved === "keys-revoked")
      return render(c, { notice: { section: "keys", text: t("settings.keys.revokedNotice") } });
    // Unknown values of `saved` are ignored.
    return render(c, isSection(saved) ? { notice: { section: saved, text: t("settings.saved") } } : {});
  });

  app.post("/app/settings/identity", async (c) => {
    const user = signedIn(c);
    const values = texts(await c.req.parseBody(), IDENTITY_FIELDS);
    const patch = WorkspaceIdentityPatch.safeParse(
      Object.fromEntries(
        IDENTITY_FIELDS.map((k) => [k, k === "name" || values[k] !== "" ? values[k] : null]),
      ),
    );
    if (!patch.success) return refuse(c, "identity", values, errorsOf(patch.error));
    await patchIdentity(deps.db, user.workspaceId, patch.data, deps.clock.now());
    return c.redirect("/app/settings?saved=identity#settings-identity", 303);
  });

  app.post("/app/settings/delivery", async (c) => {
    const user = signedIn(c);
    const body = await c.req.parseBody({ all: true });
    const values: Values = {
      ...texts(body, DELIVERY_FIELDS),
      "email.csmSenderTiers": all(body, "email.csmSenderTiers"),
    };
    const v = (key: string) => String(values[key] ?? "");
    const current = await showSettings(deps.db, user.workspaceId);
    const quiet = [v("delivery.quietHours.start"), v("delivery.quietHours.end")];
    const cap = [v("delivery.frequencyCap.max"), v("delivery.frequencyCap.per")];
    // The parts the form shows are replaced; the rest goes back as read.
    const parsed = Settings.safeParse({
      ...current,
      notifications: { ...current.notifications, managerEmail: v("notifications.managerEmail") || null },
      email: { ...current.email, csmSenderTiers: values["email.csmSenderTiers"] },
      escalations: { ...current.escalations, fallbackOwner: v("escalations.fallbackOwner") || null },
      delivery: {
        quietHours: quiet.every((x) => x === "") ? null : { start: quiet[0], end: quiet[1] },
        frequencyCap: cap.every((x) => x === "") ? null : { max: numberOf(cap[0] ?? ""), per: cap[1] },
        defaultTimezone: v("delivery.defaultTimezone"),
      },
    });
    if (!parsed.success) return refuse(c, "delivery", values, errorsOf(parsed.error));
    const saved = await putSettings(deps, user.workspaceId, parsed.data);
    if (!saved.ok)
      return refuse(c, "delivery", values, { [saved.pointer.slice(1).replaceAll("/", ".")]: true });
    return c.redirect("/app/settings?saved=delivery#settings-delivery", 303);
  });

  app.post("/app/settings/csms", async (c) => {
    const user = signedIn(c);
    const body = await c.req.parseBody({ all: true });
    const values: Values = { ...texts(body, CSM_FIELDS), tiers: all(body, "tiers") };
    const v = (key: string) => String(values[key] ?? "");
    const email = EmailAddress.safeParse(v("email"));
    const input = CsmInput.safeParse({
      name: v("name") || null,
      capacity: v("capacity") === "" ? null : numberOf(v("capacity")),
      tiers: values.tiers,
      active: v("active") === "true",
      locale: v("locale") || null,
      timezone: v("timezone") || null,
    });
    if (!email.success || !input.success)
      return refuse(c, "csms", values, {
        ...(input.success ? {} : errorsOf(input.error)),
        ...(email.success ? {} : { email: true }),
      });
    await upsertCsm(deps.db, user.workspaceId, email.data, input.data, deps.clock.now());
    return c.redirect("/app/settings?saved=csms#settings-csms", 303);
  });

  app.post("/app/settings/keys", async (c) => {
    const user = signedIn(c);
    const values = texts(await c.req.parseBody(), ["name", "role"]);
    const name = String(values.name);
    const role = Role.safeParse(values.role);
    if (name === "" || name.length > 100 || !role.success)
      return refuse(c, "keys", values, { ...(role.success ? {} : { role: true }), name: true });
    const created = await addApiKey(deps.db, user.workspaceId, name, undefined, role.data);
    // Shown on this answer only: never stored in clear, never in a URL.
    return render(c, {
      newKey: created.apiKey,
      notice: { section: "keys", text: c.var.t("settings.saved") },
    });
  });

  app.post("/app/settings/keys/:id/revoke", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const id = c.req.param("id");
    const key = isUuid(id)
      ? (await listApiKeys(deps.db, user.workspaceId)).find((k) => k.id === id)
      : undefined;
    if (!key || key.revokedAt) return page(c, t("settings.title"), <p>{t("forbidden.body")}</p>, 404);
    const form = await c.req.parseBody();
    if (form.confirmed !== "yes")
      return page(c, t("settings.keys.revokeTitle"), <ConfirmRevoke t={t} apiKey={key} />);
    await revokeApiKey(deps.db, user.workspaceId, key.id, deps.clock.now());
    return c.redirect("/app/settings?saved=keys-revoked#settings-keys", 303);
  });

  app.post("/app/settings/scorecard", async (c) => {
    const user = signedIn(c);
    const { scorecard: current } = await getScorecard(deps.db, user.workspaceId);
    const body = await c.req.parseBody();
    const edited = typeof body.json === "string" ? fromJson(current, body.json) : fromFields(current, body);
    if (!edited.ok) return refuse(c, "scorecard", edited.values, edited.errors);
    if (body.intent === "preview") {
      const preview = await previewBands(deps.db, user.workspaceId, current, edited.scorecard);
      return render(c, { forms: { scorecard: { values: edited.values, errors: {} } }, preview });
    }
    await saveScorecard(deps, user.workspaceId, edited.scorecard, deps.clock.now());
    if (isHtmx(c)) return render(c, { notice: { section: "scorecard", text: c.var.t("settings.saved") } });
    return c.redirect("/app/settings?saved=scorecard#settings-scorecard", 303);
  });

  return app;
}

type Edited =
  | { ok: true; scorecard: Scorecard; values: Values }
  | { ok: false; values: Values; errors: FormState["errors"] };

/** The stored scorecard with the form's band thresholds and weights. */
function fromFields(current: Scorecard, body: Body): Edited {
  const weightFields = current.measures.map((_, i) => `measures.${i}.weight`);
  const typed = texts(body, ["bands.red", "bands.yellow", ...weightFields]);
  const values = { ...scorecardValues(current), ...typed };
  const parsed = Scorecard.safeParse({
    ...current,
    bands: { red: numberOf(String(typed["bands.red"])), yellow: numberOf(String(typed["bands.yellow"])) },
    measures: current.measures.map((m, i) => ({
      ...m,
      weight: numberOf(String(typed[`measures.${i}.weight`])),
    })),
  });
  return parsed.success
    ? { ok: true, scorecard: parsed.data, values }
    : { ok: false, values, errors: errorsOf(parsed.error) };
}

/** The whole scorecard as typed JSON; a refusal names the paths that failed, the fields keep what is stored. */
function fromJson(current: Scorecard, text: string): Edited {
  const values = { ...scorecardValues(current), json: text.slice(0, 60_000) };
  let candidate: unknown;
  try {
    candidate = JSON.parse(text);
  } catch {
    return { ok: false, values, errors: { json: true } };
  }
  const parsed = Scorecard.safeParse(candidate);
  if (parsed.success) return { ok: true, scorecard: parsed.data, values };
  const paths = Object.keys(errorsOf(parsed.error)).map((path) => path || "/");
  return { ok: false, values: { ...values, jsonProblems: paths }, errors: { json: true } };
}

const IDENTITY_FIELDS = [
  "name",
  "productName",
  "appUrl",
  "logoUrl",
  "brandColor",
  "senderName",
  "senderAddress",
  "replyTo",
  "postalAddress",
  "supportUrl",
] as const satisfies readonly (keyof WorkspaceIdentity)[];
const DELIVERY_FIELDS = [
  "delivery.quietHours.start",
  "delivery.quietHours.end",
  "delivery.frequencyCap.max",
  "delivery.frequencyCap.per",
  "delivery.defaultTimezone",
  "escalations.fallbackOwner",
  "notifications.managerEmail",
];
const CSM_FIELDS = ["email", "name", "capacity", "locale", "timezone", "active"];

const clean = (values: Values): FormState => ({ values, errors: {} });

/** The named text fields of a form, trimmed and bounded; a missing one is empty. */
function texts(body: Body, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const value = body[name];
      const first = Array.isArray(value) ? value[0] : value;
      return [name, typeof first === "string" ? first.trim().slice(0, 2000) : ""];
    }),
  );
}

/** Every value of a repeated field (checkboxes). */
function all(body: Body, name: string): string[] {
  const value = body[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((x): x is string => typeof x === "string").slice(0, 10);
}

/** A typed number; empty or not a number is NaN, which the schema refuses at its field. */
function numberOf(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

/** Each problem at the form field named by its path (`delivery.quietHours.start`, `measures.2.weight`). */
function errorsOf(error: z.ZodError): FormState["errors"] {
  return Object.fromEntries(error.issues.map((issue) => [issue.path.map(String).join("."), true as const]));
}

function identityValues(identity: WorkspaceIdentity): Values {
  return Object.fromEntries(IDENTITY_FIELDS.map((k) => [k, identity[k] ?? ""]));
}

function deliveryValues(settings: Settings): Values {
  const { quietHours, frequencyCap, defaultTimezone } = settings.delivery;
  return {
    "delivery.quietHours.start": quietHours?.start ?? "",
    "delivery.quietHours.end": quietHours?.end ?? "",
    "delivery.frequencyCap.max": frequencyCap ? String(frequencyCap.max) : "",
    "delivery.frequencyCap.per": frequencyCap?.per ?? "",
    "delivery.defaultTimezone": defaultTimezone,
    "email.csmSenderTiers": settings.email.csmSenderTiers,
    "escalations.fallbackOwner": settings.escalations.fallbackOwner ?? "",
    "notifications.managerEmail": settings.notifications.managerEmail ?? "",
  };
}

function csmValues(csm: Csm): Values {
  return {
    email: csm.email,
    name: csm.name ?? "",
    capacity: csm.capacity === null ? "" : String(csm.capacity),
    tiers: csm.tiers,
    locale: csm.locale ?? "en",
    timezone: csm.timezone ?? "",
    active: csm.active ? "true" : "",
  };
}

function scorecardValues(card: Scorecard): Values {
  return {
    json: JSON.stringify(card, null, 2),
    "bands.red": String(card.bands.red),
    "bands.yellow": String(card.bands.yellow),
    ...Object.fromEntries(card.measures.map((m, i) => [`measures.${i}.weight`, String(m.weight)])),
  };
}
