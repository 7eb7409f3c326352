import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-aria-components";
import { DataTable } from "../components/data-table.tsx";
import { Facts } from "../components/facts.tsx";
import { FilterSelect } from "../components/filter-select.tsx";
import { PagedList } from "../components/query-state.tsx";
import { Badge, Button, ConfirmDialog, Empty, ErrorState, Loading, PageHeader } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { CHANNELS, MESSAGE_STATUSES, type MessageStatus, type MessageView } from "../lib/messaging.ts";
import { usePaged } from "../lib/paged.ts";
import { setSearchParam, useLocation } from "../lib/router.tsx";

const TONE: Record<MessageStatus, "ok" | "warn" | "danger" | "neutral" | "info"> = {
  queued: "neutral",
  sending: "info",
  sent: "info",
  delivered: "ok",
  failed: "danger",
  unknown: "warn",
};

function StatusBadge({ status }: { status: MessageStatus }) {
  const { t } = useI18n();
  return <Badge tone={TONE[status]}>{t(`message.status.${status}` as MessageKey)}</Badge>;
}

/** The messages the hub sent (list), or one of them with every attempt (`?id=`). */
export default function MessagesPage() {
  const { search } = useLocation();
  const id = search.get("id");
  return id ? <MessageDetail id={id} /> : <MessageList status={search.get("status") ?? ""} channel={search.get("channel") ?? ""} />;
}

function MessageList({ status, channel }: { status: string; channel: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const list = usePaged<MessageView>(["messages", status, channel], "/api/admin/messages", { status, channel });
  return (
    <>
      <PageHeader title={t("messages.title")} description={t("messages.intro")} />
      <div className="toolbar">
        <FilterSelect
          label={t("messages.status")}
          options={MESSAGE_STATUSES.map((id) => ({ id, label: t(`message.status.${id}` as MessageKey) }))}
          value={status}
          onChange={(value) => setSearchParam("status", value)}
        />
        <FilterSelect
          label={t("messages.channel")}
          options={CHANNELS.map((id) => ({ id, label: t(`channel.${id}` as MessageKey) }))}
          value={channel}
          onChange={(value) => setSearchParam("channel", value)}
        />
      </div>
      <PagedList query={list} empty={<Empty title={t("messages.empty")}>{t("messages.emptyHint")}</Empty>}>
        {(messages) => (
          <DataTable variant="stack" caption={t("messages.title")} columns={[t("messages.created"), t("messages.to"), t("messages.template"), t("messages.provider"), t("messages.status")]}>
            {messages.map((message) => (
              <tr key={message.id} className={message.status === "unknown" || message.status === "failed" ? "row-alert" : undefined}>
                <td data-label={t("messages.created")} className="nowrap">
                  <Link href={`/messages?id=${encodeURIComponent(message.id)}`}>{format.dateTime(message.createdAt)}</Link>
                </td>
                <td data-label={t("messages.to")}>
                  <code>{message.to}</code>
                  <div className="muted small">{t(`channel.${message.deliveredChannel ?? message.channel}` as MessageKey)}</div>
                </td>
                <td data-label={t("messages.template")}>
                  {message.template} <span className="muted small">({message.locale})</span>
                  <div className="muted small">{message.featureKey}</div>
                </td>
                <td data-label={t("messages.provider")}>
                  {message.providerSlug ?? "—"}
                  {message.usedFallback ? (
                    <>
                      {" "}
                      <Badge tone="warn">{t("messages.fallback")}</Badge>
                    </>
                  ) : null}
                </td>
                <td data-label={t("messages.status")}>
                  <StatusBadge status={message.status} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </PagedList>
    </>
  );
}

function MessageDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const queryClient = useQueryClient();
  const message = useQuery({ queryKey: ["message", id], queryFn: ({ signal }) => api.get<MessageView>(`/api/admin/messages/${encodeURIComponent(id)}`, signal) });
  const resend = useConfirmed(() => api.post<MessageView>(`/api/admin/messages/${encodeURIComponent(id)}/resend`), {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["message", id] });
      void queryClient.invalidateQueries({ queryKey: ["messages"] });
    },
  });
  if (message.isPending) return <Loading />;
  if (message.isError) return <ErrorState error={message.error} onRetry={() => void message.refetch()} />;
  const data = message.data;
  const resendable = can.admin && (data.status === "failed" || data.status === "unknown");
  return (
    <>
      <PageHeader
        title={t("messages.detailTitle", { to: data.to })}
        description={<Link href="/messages">{t("messages.back")}</Link>}
        actions={
          resendable ? (
            <Button variant="primary" onPress={() => resend.ask()}>
              {t("messages.resend")}
            </Button>
          ) : undefined
        }
      />
      <Facts
        items={[
          [t("messages.status"), <StatusBadge status={data.status} />],
          [
            t("messages.template"),
            <>
              {data.template} ({data.locale}) · {t(`channel.${data.channel}` as MessageKey)}
              {data.deliveredChannel && data.deliveredChannel !== data.channel ? ` → ${t(`channel.${data.deliveredChannel}` as MessageKey)}` : ""}
            </>,
          ],
          [
            t("messages.provider"),
            <>
              {data.providerSlug ?? "—"}
              {data.providerMessageId ? (
                <>
                  {" "}
                  <code className="small">{data.providerMessageId}</code>
                </>
              ) : null}
            </>,
          ],
          [t("messages.source"), data.source.kind === "trigger" ? t("messages.sourceTrigger", { event: data.source.eventId ?? "" }) : t("messages.sourceApi")],
          [t("messages.error"), data.error && <span role="note">{data.error}</span>],
        ]}
      />
      <h2 className="small-heading">{t("messages.attempts")}</h2>
      {data.attempts.length === 0 ? (
        <p className="muted">{t("messages.noAttempts")}</p>
      ) : (
        <DataTable variant="stack" caption={t("messages.attempts")} columns={["#", t("messages.provider"), t("messages.started"), t("messages.outcome")]}>
          {data.attempts.map((attempt) => (
            <tr key={attempt.number}>
              <td data-label="#">{attempt.number}</td>
              <td data-label={t("messages.provider")}>
                {attempt.providerSlug}
                <div className="muted small">
                  {t(`messages.role.${attempt.role}` as MessageKey)} · {t(`channel.${attempt.channel}` as MessageKey)}
                </div>
              </td>
              <td data-label={t("messages.started")} className="nowrap">
                {format.dateTime(attempt.startedAt)}
              </td>
              <td data-label={t("messages.outcome")}>
                <Badge tone={attempt.status === "sent" ? "ok" : attempt.status === "failed" ? "danger" : attempt.status === "unknown" ? "warn" : "info"}>
                  {t(`messages.attempt.${attempt.status}` as MessageKey)}
                </Badge>
                {attempt.httpStatus ? <span className="muted small"> HTTP {attempt.httpStatus}</span> : null}
                {attempt.error ? <div className="small">{attempt.error}</div> : null}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <h2 className="small-heading">{t("messages.history")}</h2>
      <ol className="plain-list">
        {data.history.map((change, index) => (
          <li key={index}>
            <span className="nowrap">{format.dateTime(change.at)}</span> — <StatusBadge status={change.status} />{" "}
            <span className="muted small">
              {change.source}
              {change.rawStatus ? ` (${change.rawStatus})` : ""}
            </span>
            {change.detail ? <div className="small">{change.detail}</div> : null}
          </li>
        ))}
      </ol>
      <ConfirmDialog {...resend.dialog} title={t("messages.resendTitle")} confirmLabel={t("messages.resend")} tone="primary">
        <p>{data.status === "unknown" ? t("messages.resendUnknown") : t("messages.resendFailed")}</p>
      </ConfirmDialog>
    </>
  );
}
