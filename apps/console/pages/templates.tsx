import type { TemplateSummary } from "../../core/templates/message-templates";
import type { Locale, T } from "../i18n";
import { formatTime } from "./accounts-format";

/** Shipped with Volante as is, shipped and changed by the workspace, or the workspace's own. */
export type TemplateOrigin = "shipped" | "changed" | "own";

export const originOf = (source: "workspace" | "file", shipped: boolean): TemplateOrigin =>
  source === "file" ? "shipped" : shipped ? "changed" : "own";

export function OriginBadge({ t, origin }: { t: T; origin: TemplateOrigin }) {
  return <span class={`badge origin-${origin}`}>{t(`templates.${origin}`)}</span>;
}

export type TemplateRow = TemplateSummary & { origin: TemplateOrigin; lastChanged: Date | null };

/** Every message template of the workspace: shipped ones and its own, with what each is. */
export function TemplatesPage({
  t,
  locale,
  timeZone,
  templates,
}: {
  t: T;
  locale: Locale;
  /** The person's zone (SignedIn.timeZone). */
  timeZone: string;
  templates: TemplateRow[];
}) {
  return (
    <>
      <p>{t("templates.intro")}</p>
      {templates.length === 0 ? (
        <p>{t("templates.empty")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("templates.key")}</th>
                <th scope="col" class="nowrap">
                  {t("templates.channel")}
                </th>
                <th scope="col">{t("templates.category")}</th>
                <th scope="col">{t("templates.languages")}</th>
                <th scope="col">{t("templates.source")}</th>
                <th scope="col">{t("templates.lastChanged")}</th>
              </tr>
            </thead>
            <tbody>
              {templates.map((row) => (
                <tr>
                  <th scope="row">
                    <a href={`/app/templates/${encodeURIComponent(row.key)}`}>{row.key}</a>
                  </th>
                  <td class="nowrap">{t(`template.channel.${row.channel}`)}</td>
                  <td>{row.category}</td>
                  <td class="nowrap">{row.locales.join(", ")}</td>
                  <td>
                    <OriginBadge t={t} origin={row.origin} />
                  </td>
                  <td>
                    {row.lastChanged
                      ? formatTime(locale, row.lastChanged, timeZone)
                      : t("templates.neverChanged")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
