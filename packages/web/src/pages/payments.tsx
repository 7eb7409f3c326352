import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { Badge, Empty, ErrorState, LoadMore, Loading, PageHeader } from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import type { Page, Payment, PaymentStatus } from "../lib/types.ts";

const TONE: Record<PaymentStatus, "ok" | "warn" | "danger" | "neutral" | "info"> = {
  pending: "info",
  paid: "ok",
  failed: "danger",
  expired: "neutral",
  cancelled: "neutral",
  partially_refunded: "warn",
  refunded: "warn",
};

export function PaymentStatusBadge({ status }: { status: PaymentStatus }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status] ?? "neutral"}>{t(`payment.status.${status}` as MessageKey)}</Badge>;
}

export default function PaymentsPage() {
  const { t } = useI18n();
  const { search } = useLocation();
  const tab = search.get("view") === "unreconciled" ? "unreconciled" : "all";
  const all = useInfiniteQuery({
    queryKey: ["payments"],
    queryFn: ({ pageParam, signal }) => api.get<Page<Payment>>(`/api/admin/payments${qs({ cursor: pageParam, limit: 50 })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
  const unreconciled = useQuery({
    queryKey: ["payments", "unreconciled"],
    queryFn: ({ signal }) => api.get<{ items: Payment[] }>("/api/admin/payments/unreconciled", signal),
  });
  const unreconciledCount = unreconciled.data?.items.length ?? 0;
  const payments = all.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title={t("payments.title")} description={t("payments.intro")} />
      <Tabs selectedKey={tab} onSelectionChange={(key) => setSearchParam("view", key === "all" ? undefined : String(key))} className="tabs">
        <TabList aria-label={t("payments.views")} className="tab-list">
          <Tab id="all" className="tab">
            {t("payments.all")}
          </Tab>
          <Tab id="unreconciled" className="tab">
            {t("payments.unreconciled")} <span className={`count${unreconciledCount > 0 ? " count-alert" : ""}`}>{unreconciledCount}</span>
          </Tab>
        </TabList>
        <TabPanel id="all" className="tab-panel">
          {all.isPending ? (
            <Loading />
          ) : all.isError ? (
            <ErrorState error={all.error} onRetry={() => void all.refetch()} />
          ) : payments.length === 0 ? (
            <Empty title={t("payments.empty")}>{t("payments.emptyHint")}</Empty>
          ) : (
            <>
              <PaymentTable payments={payments} />
              <LoadMore hasMore={Boolean(all.hasNextPage)} loading={all.isFetchingNextPage} onPress={() => void all.fetchNextPage()} />
            </>
          )}
        </TabPanel>
        <TabPanel id="unreconciled" className="tab-panel">
          {unreconciled.isPending ? (
            <Loading />
          ) : unreconciled.isError ? (
            <ErrorState error={unreconciled.error} onRetry={() => void unreconciled.refetch()} />
          ) : unreconciled.data.items.length === 0 ? (
            <Empty title={`✓ ${t("payments.allReconciled")}`} />
          ) : (
            <PaymentTable payments={unreconciled.data.items} />
          )}
        </TabPanel>
      </Tabs>
    </>
  );
}

function PaymentTable({ payments }: { payments: Payment[] }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <div className="table-wrap">
      <table className="table table-stack">
        <caption className="visually-hidden">{t("payments.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("payments.created")}</th>
            <th scope="col">{t("payments.reference")}</th>
            <th scope="col">{t("payments.provider")}</th>
            <th scope="col" className="num">
              {t("payments.amount")}
            </th>
            <th scope="col">{t("payments.status")}</th>
          </tr>
        </thead>
        <tbody>
          {payments.map((payment) => (
            <tr key={payment.id} className={payment.unreconciled ? "row-alert" : undefined}>
              <td data-label={t("payments.created")} className="nowrap">{format.dateTime(payment.createdAt)}</td>
              <td data-label={t("payments.reference")}>
                <code>{payment.reference}</code>
                <div className="muted small">{payment.featureKey}</div>
              </td>
              <td data-label={t("payments.provider")}>
                {payment.providerSlug}
                {payment.usedFallback ? (
                  <>
                    {" "}
                    <Badge tone="warn">{t("payments.fallback")}</Badge>
                  </>
                ) : null}
              </td>
              <td data-label={t("payments.amount")} className="num nowrap">
                {format.money(payment.amount, payment.currency)}
                {payment.refundedAmount > 0 ? <div className="muted small">{t("payments.refunded", { amount: format.money(payment.refundedAmount, payment.currency) })}</div> : null}
              </td>
              <td data-label={t("payments.status")}>
                <PaymentStatusBadge status={payment.status} />
                {payment.unreconciled ? (
                  <div className="unreconciled" role="note">
                    <Badge tone="danger">⚠ {t("payments.unreconciledFlag")}</Badge>
                    <span className="small">
                      {payment.unreconciled.reason}
                      {payment.unreconciled.gatewayStatus ? ` (${t("payments.gatewaySays", { status: payment.unreconciled.gatewayStatus })})` : ""}
                    </span>
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
