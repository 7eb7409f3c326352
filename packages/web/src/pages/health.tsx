import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Label, Link, Radio, RadioGroup } from "react-aria-components";
import { DataTable } from "../components/data-table.tsx";
import { PagedList, QueryState } from "../components/query-state.tsx";
import { Badge, Button, Empty, Loading, PageHeader } from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { usePaged } from "../lib/paged.ts";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import type { BreakerStatus, CallRecord, HealthReport, HealthWindow, ProviderHealth } from "../lib/types.ts";
import { typeLabel } from "./integrations.tsx";

// uPlot and its CSS load only when a chart is on screen.
const LatencyChart = lazy(() => import("../components/charts.tsx").then((module) => ({ default: module.LatencyChart })));
const CallsChart = lazy(() => import("../components/charts.tsx").then((module) => ({ default: module.CallsChart })));

const WINDOWS: HealthWindow[] = ["1h", "24h", "7d"];
const BREAKER_TONE: Record<BreakerStatus, "ok" | "danger" | "warn"> = { closed: "ok", open: "danger", half_open: "warn" };

/** Alerting first, then an open breaker, then the worst failure rate. */
function rank(a: ProviderHealth, b: ProviderHealth): number {
  const score = (row: ProviderHealth) => (row.alerting ? 4 : 0) + (row.breaker.state === "open" ? 2 : row.breaker.state === "half_open" ? 1 : 0);
  return score(b) - score(a) || b.failureRate - a.failureRate || a.name.localeCompare(b.name);
}

export default function HealthPage() {
  const { t } = useI18n();
  const format = useFormat();
  const { search } = useLocation();
  const window = (WINDOWS as string[]).includes(search.get("window") ?? "") ? (search.get("window") as HealthWindow) : "1h";
  const providerId = search.get("provider") ?? "";
  const health = useQuery({
    queryKey: ["health", window],
    queryFn: ({ signal }) => api.get<HealthReport>(`/api/admin/health${qs({ window })}`, signal),
    refetchInterval: 30_000,
  });
  const rows = [...(health.data?.providers ?? [])].sort(rank);
  const alerting = rows.filter((row) => row.alerting);
  const selected = rows.find((row) => row.providerId === providerId);
  return (
    <>
      <PageHeader
        title={t("health.title")}
        description={health.data ? t("health.intro", { rate: format.percent(health.data.alertThreshold.failureRate), calls: health.data.alertThreshold.minCalls }) : t("health.introShort")}
        actions={
          <Button onPress={() => void health.refetch()} isDisabled={health.isFetching}>
            {health.isFetching ? t("common.refreshing") : t("common.refresh")}
          </Button>
        }
      />
      <RadioGroup className="segmented" orientation="horizontal" value={window} onChange={(value) => setSearchParam("window", value === "1h" ? undefined : value)}>
        <Label className="field-label">{t("health.window")}</Label>
        <div className="segmented-options">
          {WINDOWS.map((value) => (
            <Radio key={value} value={value} className="segment">
              {t(`health.window.${value}` as MessageKey)}
            </Radio>
          ))}
        </div>
      </RadioGroup>
      <QueryState
        query={health}
        isEmpty={(data) => data.providers.length === 0}
        empty={
          <Empty title={t("health.empty")} action={<Link className="btn btn-primary" href="/integrations/new">{t("integrations.add")}</Link>}>
            {t("health.emptyHint")}
          </Empty>
        }
      >
        {(data) => (
          <>
            {alerting.length > 0 ? (
              <div className="notice notice-danger" role="alert">
                <strong>{t("health.alerting", { count: alerting.length })}</strong>{" "}
                {alerting.map((row) => row.name).join(", ")}
              </div>
            ) : (
              <p className="notice notice-ok" role="status">
                ✓ {t("health.allGood")}
              </p>
            )}
            <section className="section" aria-labelledby="latency-heading">
              <h2 id="latency-heading">{t("health.latency")}</h2>
              {rows.some((row) => row.calls > 0) ? (
                <Suspense fallback={<Loading label={t("health.loadingChart")} />}>
                  <LatencyChart
                    rows={rows.filter((row) => row.calls > 0)}
                    names={rows.filter((row) => row.calls > 0).map((row) => row.name)}
                    label={t("health.latencyLabel", { window: t(`health.window.${window}` as MessageKey) })}
                  />
                </Suspense>
              ) : (
                <Empty title={t("health.noCallsInWindow")}>{t("health.emptyHint")}</Empty>
              )}
            </section>
            <DataTable
              variant="stack"
              className="health-table"
              caption={t("health.title")}
              columns={[
                t("health.provider"),
                t("health.status"),
                { label: t("health.success"), className: "num" },
                { label: "P50", className: "num" },
                { label: "P95", className: "num" },
                { label: "P99", className: "num" },
                { label: t("health.calls"), className: "num" },
                { label: t("common.actions"), hidden: true },
              ]}
            >
              {rows.map((row) => (
                <tr key={row.providerId} className={row.alerting ? "row-alert" : row.providerId === providerId ? "row-selected" : undefined} data-provider={row.slug}>
                  <th scope="row">
                    {row.name}
                    <div className="muted small">
                      {typeLabel(t, row.type as never)} · <code>{row.slug}</code>
                    </div>
                  </th>
                  <td data-label={t("health.status")}>
                    <div className="badges">
                      {row.alerting ? <Badge tone="danger">⚠ {t("health.alertingBadge")}</Badge> : null}
                      <Badge tone={BREAKER_TONE[row.breaker.state]}>{t(`health.breaker.${row.breaker.state}` as MessageKey)}</Badge>
                      {row.active ? null : <Badge tone="neutral">{t("provider.inactive")}</Badge>}
                    </div>
                    {row.lastError ? (
                      <div className="small test-failed">
                        {row.lastError.message} <span className="muted">({format.relative(row.lastError.at)})</span>
                      </div>
                    ) : null}
                  </td>
                  <td data-label={t("health.success")} className="num">{row.calls > 0 ? format.percent(row.successRate) : "—"}</td>
                  <td data-label="P50" className="num">{row.calls > 0 ? format.ms(row.p50) : "—"}</td>
                  <td data-label="P95" className="num">{row.calls > 0 ? format.ms(row.p95) : "—"}</td>
                  <td data-label="P99" className="num">{row.calls > 0 ? format.ms(row.p99) : "—"}</td>
                  <td data-label={t("health.calls")} className="num">
                    {format.number(row.calls)}
                    {row.failures > 0 ? <div className="small test-failed">{t("health.failures", { count: row.failures })}</div> : null}
                  </td>
                  <td data-label="">
                    <Link className="btn btn-secondary btn-small" href={`/monitoring${qs({ window: window === "1h" ? undefined : window, provider: row.providerId })}`}>
                      {t("health.viewCalls")}
                    </Link>
                  </td>
                </tr>
              ))}
            </DataTable>
            {providerId ? <CallLog providerId={providerId} name={selected?.name ?? providerId} /> : null}
            <p className="muted small">{t("health.generated", { when: format.dateTime(data.generatedAt), zone: format.timeZone })}</p>
          </>
        )}
      </QueryState>
    </>
  );
}

function CallLog({ providerId, name }: { providerId: string; name: string }) {
  const { t } = useI18n();
  const calls = usePaged<CallRecord>(["calls", providerId], `/api/admin/providers/${providerId}/calls`);
  return (
    <section className="section card" aria-labelledby="calls-heading">
      <div className="card-head">
        <h2 id="calls-heading" tabIndex={-1}>
          {t("health.callsOf", { name })}
        </h2>
        <Button small variant="ghost" onPress={() => setSearchParam("provider", undefined)}>
          {t("common.close")}
        </Button>
      </div>
      <PagedList query={calls} empty={<Empty title={t("health.noCalls")}>{t("health.noCallsHint")}</Empty>}>
        {(items) => <CallTable items={items} name={name} />}
      </PagedList>
    </section>
  );
}

function CallTable({ items, name }: { items: CallRecord[]; name: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const sent = items.filter((call) => call.outcome !== "skipped");
  return (
    <>
      {sent.length > 1 ? (
        <Suspense fallback={<Loading label={t("health.loadingChart")} />}>
          <CallsChart
            calls={sent.map((call) => ({ at: call.at, latencyMs: call.latencyMs, ok: call.outcome !== "failure" }))}
            timeZone={format.timeZone}
            label={t("health.callsChartLabel", { name })}
            labels={{ ok: t("health.okCalls"), failed: t("health.failedCalls") }}
          />
        </Suspense>
      ) : null}
      <DataTable
        variant="compact"
        caption={t("health.callsOf", { name })}
        columns={[t("audit.when"), t("health.action"), t("health.outcome"), "HTTP", { label: t("deliveries.latency"), className: "num" }, t("deliveries.detail")]}
      >
        {items.map((call) => (
          <tr key={call.id}>
            <td className="nowrap">{format.dateTime(call.at)}</td>
            <td>
              <code>{call.action}</code>
              <div className="muted small">
                {call.featureKey ?? ""} {call.role !== "direct" ? `· ${t(`health.role.${call.role}` as MessageKey)}` : ""} {call.attempt > 1 ? `· #${call.attempt}` : ""}
              </div>
            </td>
            <td>
              <Badge tone={call.outcome === "success" ? "ok" : call.outcome === "failure" ? "danger" : call.outcome === "rejected" ? "warn" : "neutral"}>
                {t(`health.outcome.${call.outcome}` as MessageKey)}
              </Badge>
            </td>
            <td>{call.httpStatus ?? "—"}</td>
            <td className="num">{format.ms(call.latencyMs)}</td>
            <td className="break small">{call.error ?? call.code ?? ""}</td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
