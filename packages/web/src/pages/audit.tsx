import { DataTable } from "../components/data-table.tsx";
import { PagedList } from "../components/query-state.tsx";
import { Empty, PageHeader } from "../components/ui.tsx";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import { usePaged } from "../lib/paged.ts";
import type { AuditEntry } from "../lib/types.ts";

export default function AuditPage() {
  const { t } = useI18n();
  const format = useFormat();
  const audit = usePaged<AuditEntry>(["audit"], "/api/admin/audit");
  return (
    <>
      <PageHeader title={t("audit.title")} description={t("audit.intro", { zone: format.timeZone })} />
      <PagedList query={audit} empty={<Empty title={t("audit.empty")} />}>
        {(entries) => (
          <DataTable variant="stack" caption={t("audit.title")} columns={[t("audit.when"), t("audit.actor"), t("audit.action"), t("audit.target"), t("audit.changed")]}>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td data-label={t("audit.when")} className="nowrap">
                  <time dateTime={entry.at}>{format.dateTime(entry.at)}</time>
                </td>
                <td data-label={t("audit.actor")}>{entry.actor.replace(/^user:/, "")}</td>
                <td data-label={t("audit.action")}>
                  <code>{entry.action}</code>
                </td>
                <td data-label={t("audit.target")} className="break">
                  <code>{entry.target}</code>
                </td>
                <td data-label={t("audit.changed")} className="break small">{entry.changed.length > 0 ? entry.changed.join(", ") : "—"}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </PagedList>
    </>
  );
}
