import { useQuery } from "@tanstack/react-query";
import { DataTable } from "../components/data-table.tsx";
import { PagedList, QueryState } from "../components/query-state.tsx";
import { Badge, Empty, PageHeader } from "../components/ui.tsx";
import { UrlTabs } from "../components/url-tabs.tsx";
import { api } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { usePaged } from "../lib/paged.ts";
import type { Payment, PaymentStatus } from "../lib/types.ts";

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
  const all = usePaged<Payment>(["payments"], "/api/admin/payments");
  const unreconciled = useQuery({
    queryKey: ["payments", "unreconciled"],
    queryFn: ({ signal }) => api.get<{ items: Payment[] }>("/api/admin/payments/unreconciled", signal),
  });
  const unreconciledCount = unreconciled.data?.items.length ?? 0;
  return (
    <>
      <PageHeader title={t("payments.title")} description={t("payments.intro")} />
      <UrlTabs
        param="view"
        label={t("payments.views")}
        tabs={[
          {
            id: "all",
            label: t("payments.all"),
            panel: (
              <PagedList query={all} empty={<Empty title={t("payments.empty")}>{t("payments.emptyHint")}</Empty>}>
                {(payments) => <PaymentTable payments={payments} />}
              </PagedList>
            ),
          },
          {
            id: "unreconciled",
            label: (
              <>
                {t("payments.unreconciled")} <span className={`count${unreconciledCount > 0 ? " count-alert" : ""}`}>{unreconciledCount}</span>
              </>
            ),
            panel: (
              <QueryState query={unreconciled} isEmpty={(data) => data.items.length === 0} empty={<Empty title={`✓ ${t("payments.allReconciled")}`} />}>
                {(data) => <PaymentTable payments={data.items} />}
              </QueryState>
            ),
          },
        ]}
      />
    </>
  );
}

function PaymentTable({ payments }: { payments: Payment[] }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <DataTable
      variant="stack"
      caption={t("payments.title")}
      columns={[t("payments.created"), t("payments.reference"), t("payments.provider"), { label: t("payments.amount"), className: "num" }, t("payments.status")]}
    >
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
    </DataTable>
  );
}
