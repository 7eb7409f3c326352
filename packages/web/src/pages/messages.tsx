import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-aria-components";
import { Badge, Button, ConfirmDialog, Empty, ErrorState, LoadMore, Loading, PageHeader, SelectField } from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { CHANNELS, MESSAGE_STATUSES, type MessageStatus, type MessageView } from "../lib/messaging.ts";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import type { Page } from "../lib/types.ts";

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
  const list = useInfiniteQuery({
    queryKey: ["messages", status, channel],
    queryFn: ({ pageParam, signal }) => api.get<Page<MessageView>>(`/api/admin/messages${qs({ status, channel, cursor: pageParam, limit: 50 })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
  const messages = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title={t("messages.title")} description={t("messages.intro")} />
      <div className="toolbar">
        <SelectField
          label={t("messages.status")}
          options={[{ id: "", label: t("common.any") }, ...MESSAGE_STATUSES.map((id) => ({ id, label: t(`message.status.${id}` as MessageKey) }))]}
          value={status}
          onChange={(value) => setSearchParam("status", value)}
        />
        <SelectField
          label={t("messages.channel")}
          options={[{ id: "", label: t("common.any") }, ...CHANNELS.map((id) => ({ id, label: t(`channel.${id}` as MessageKey) }))]}
          value={channel}
          onChange={(value) => setSearchParam("channel", value)}
        />
      </div>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : messages.length === 0 ? (
        <Empty title={t("messages.empty")}>{t("messages.emptyHint")}</Empty>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table table-stack">
              <caption className="visually-hidden">{t("messages.title")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("messages.created")}</th>
                  <th scope="col">{t("messages.to")}</th>
                  <th scope="col">{t("messages.template")}</th>
                  <th scope="col">{t("messages.provider")}</th>
                  <th scope="col">{t("messages.status")}</th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
          <LoadMore hasMore={Boolean(list.hasNextPage)} loading={list.isFetchingNextPage} onPress={() => void list.fetchNextPage()} />
        </>
      )}
    </>
  );
}

function MessageDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const message = useQuery({ queryKey: ["message", id], queryFn: ({ signal }) => api.get<MessageView>(`/api/admin/messages/${encodeURIComponent(id)}`, signal) });
  const resend = useMutation({
    mutationFn: () => api.post<MessageView>(`/api/admin/messages/${encodeURIComponent(id)}/resend`),
    onSuccess: () => {
      setConfirming(false);
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
            <Button variant="primary" onPress={() => setConfirming(true)}>
              {t("messages.resend")}
            </Button>
          ) : undefined
        }
      />
      <dl className="facts">
        <dt>{t("messages.status")}</dt>
        <dd>
          <StatusBadge status={data.status} />
        </dd>
        <dt>{t("messages.template")}</dt>
        <dd>
          {data.template} ({data.locale}) · {t(`channel.${data.channel}` as MessageKey)}
          {data.deliveredChannel && data.deliveredChannel !== data.channel ? ` → ${t(`channel.${data.deliveredChannel}` as MessageKey)}` : ""}
        </dd>
        <dt>{t("messages.provider")}</dt>
        <dd>
          {data.providerSlug ?? "—"}
          {data.providerMessageId ? (
            <>
              {" "}
              <code className="small">{data.providerMessageId}</code>
            </>
          ) : null}
        </dd>
        <dt>{t("messages.source")}</dt>
        <dd>{data.source.kind === "trigger" ? t("messages.sourceTrigger", { event: data.source.eventId ?? "" }) : t("messages.sourceApi")}</dd>
        {data.error ? (
          <>
            <dt>{t("messages.error")}</dt>
            <dd role="note">{data.error}</dd>
          </>
        ) : null}
      </dl>
      <h2 className="small-heading">{t("messages.attempts")}</h2>
      {data.attempts.length === 0 ? (
        <p className="muted">{t("messages.noAttempts")}</p>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="visually-hidden">{t("messages.attempts")}</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t("messages.provider")}</th>
                <th scope="col">{t("messages.started")}</th>
                <th scope="col">{t("messages.outcome")}</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
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
      <ConfirmDialog
        title={t("messages.resendTitle")}
        isOpen={confirming}
        onOpenChange={setConfirming}
        confirmLabel={t("messages.resend")}
        onConfirm={() => resend.mutate()}
        pending={resend.isPending}
        error={resend.error}
        tone="primary"
      >
        <p>{data.status === "unknown" ? t("messages.resendUnknown") : t("messages.resendFailed")}</p>
      </ConfirmDialog>
    </>
  );
}
