import { useInfiniteQuery } from "@tanstack/react-query";
import { Empty, ErrorState, LoadMore, Loading, PageHeader } from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import type { AuditEntry, Page } from "../lib/types.ts";

export default function AuditPage() {
  const { t } = useI18n();
  const format = useFormat();
  const audit = useInfiniteQuery({
    queryKey: ["audit"],
    queryFn: ({ pageParam, signal }) => api.get<Page<AuditEntry>>(`/api/admin/audit${qs({ cursor: pageParam, limit: 50 })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
  const entries = audit.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title={t("audit.title")} description={t("audit.intro", { zone: format.timeZone })} />
      {audit.isPending ? (
        <Loading />
      ) : !audit.data ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : entries.length === 0 ? (
        <Empty title={t("audit.empty")} />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table table-stack">
              <caption className="visually-hidden">{t("audit.title")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("audit.when")}</th>
                  <th scope="col">{t("audit.actor")}</th>
                  <th scope="col">{t("audit.action")}</th>
                  <th scope="col">{t("audit.target")}</th>
                  <th scope="col">{t("audit.changed")}</th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
          <LoadMore hasMore={Boolean(audit.hasNextPage)} loading={audit.isFetchingNextPage} onPress={() => void audit.fetchNextPage()} />
          {audit.isFetchNextPageError ? <ErrorState error={audit.error} /> : null}
        </>
      )}
    </>
  );
}
