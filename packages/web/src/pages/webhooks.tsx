import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Checkbox, CheckboxGroup, Label } from "react-aria-components";
import { Card } from "../components/card.tsx";
import { DataTable } from "../components/data-table.tsx";
import { DisclosureRow } from "../components/disclosure-row.tsx";
import { Facts } from "../components/facts.tsx";
import { FilterSelect } from "../components/filter-select.tsx";
import { SubmitActions, SubmitForm } from "../components/form.tsx";
import { PagedLog, QueryState } from "../components/query-state.tsx";
import { Badge, Button, ConfirmDialog, Empty, Field, InlineError, ModalDialog, OnceValue, OnceValueStep, PageHeader, Toggle } from "../components/ui.tsx";
import { UrlTabs } from "../components/url-tabs.tsx";
import { api } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
import { prettyJson, useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { usePaged } from "../lib/paged.ts";
import { setSearchParam } from "../lib/router.tsx";
import {
  DELIVERY_STATUSES,
  INBOUND_STATUSES,
  type CatalogEntry,
  type Delivery,
  type DeliveryStatus,
  type InboundStatus,
  type InboundWebhook,
  type ProviderList,
  type Subscription,
  type SubscriptionWithSecret,
} from "../lib/types.ts";

const INBOUND_TONE: Record<InboundStatus, "ok" | "warn" | "danger" | "neutral" | "info"> = {
  received: "info",
  rejected: "danger",
  malformed: "danger",
  duplicate: "neutral",
  accepted: "info",
  processed: "ok",
  failed: "warn",
  dead: "danger",
};

const DELIVERY_TONE: Record<DeliveryStatus, "ok" | "warn" | "danger" | "info"> = {
  pending: "info",
  attempting: "warn",
  delivered: "ok",
  dead: "danger",
};

export default function WebhooksPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("webhooks.title")} description={t("webhooks.intro")} />
      <UrlTabs
        param="tab"
        label={t("webhooks.title")}
        tabs={[
          { id: "inbound", label: t("webhooks.inbound"), panel: <InboundLog /> },
          { id: "subscriptions", label: t("webhooks.subscriptions"), panel: <Subscriptions /> },
          { id: "deliveries", label: t("webhooks.deliveries"), panel: <Deliveries /> },
        ]}
      />
    </>
  );
}

// ------------------------------------------------------------------ inbound

function InboundLog() {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [providerId, setProviderId] = useState("");
  const [status, setStatus] = useState("");
  const providers = useQuery({ queryKey: ["providers", ""], queryFn: ({ signal }) => api.get<ProviderList>("/api/admin/providers", signal) });
  const log = usePaged<InboundWebhook>(["inbound", providerId, status], "/api/admin/webhooks/inbound", { providerId, status });
  const replay = useConfirmed(
    (record: InboundWebhook) => api.post<InboundWebhook>(`/api/admin/webhooks/inbound/${record.id}/replay`),
    { onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["inbound"] }) },
  );
  return (
    <>
      <PagedLog
        query={log}
        filters={
          <>
            <FilterSelect
              label={t("webhooks.provider")}
              options={(providers.data?.items ?? []).map((provider) => ({ id: provider.id, label: provider.name }))}
              value={providerId}
              onChange={setProviderId}
            />
            <FilterSelect
              label={t("webhooks.status")}
              options={INBOUND_STATUSES.map((id) => ({ id, label: t(`inbound.status.${id}` as MessageKey) }))}
              value={status}
              onChange={setStatus}
            />
          </>
        }
        empty={<Empty title={t("webhooks.inboundEmpty")}>{t("webhooks.inboundEmptyHint")}</Empty>}
        row={(record) => <InboundRow record={record} onReplay={() => replay.ask(record)} />}
      />
      <ConfirmDialog {...replay.dialog} title={t("webhooks.replayTitle")} confirmLabel={t("webhooks.replay")} tone="primary">
        <p>{t("webhooks.replayBody")}</p>
      </ConfirmDialog>
    </>
  );
}

function InboundRow({ record, onReplay }: { record: InboundWebhook; onReplay: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  return (
    <DisclosureRow
      level={3}
      className="log-row"
      summary={
        <span className="log-summary">
          <span className="nowrap">{format.dateTime(record.receivedAt)}</span>
          <code>{record.providerSlug}</code>
          <Badge tone={INBOUND_TONE[record.status]}>{t(`inbound.status.${record.status}` as MessageKey)}</Badge>
          {record.reason ? <span className="muted small">{record.reason}</span> : null}
        </span>
      }
    >
      <Facts
        items={[
          [
            t("webhooks.request"),
            <>
              <code>
                {record.method} {record.path}
              </code>{" "}
              <span className="muted small">{t("webhooks.from", { ip: record.sourceIp })}</span>
            </>,
          ],
          [t("webhooks.eventId"), record.eventId && <code>{record.eventId}</code>],
          [t("webhooks.attempts"), record.attempts],
          [t("webhooks.lastError"), record.lastError],
          [t("webhooks.payment"), record.paymentId && <code>{record.paymentId}</code>],
        ]}
      />
      <h4 className="small-heading">{t("webhooks.headers")}</h4>
      <pre className="code-block" tabIndex={0}>
        {Object.entries(record.headers)
          .map(([name, value]) => `${name}: ${value}`)
          .join("\n")}
      </pre>
      <h4 className="small-heading">{t("webhooks.body")}</h4>
      <pre className="code-block" tabIndex={0}>
        {prettyJson(record.body)}
      </pre>
      {can.admin && record.normalized ? (
        <Button small onPress={onReplay}>
          {t("webhooks.replay")}
        </Button>
      ) : null}
    </DisclosureRow>
  );
}

// ------------------------------------------------------------------ subscriptions

function useCatalog() {
  return useQuery({
    queryKey: ["event-catalog"],
    queryFn: ({ signal }) => api.get<{ items: CatalogEntry[] }>("/api/admin/events/catalog", signal),
    staleTime: Infinity,
  });
}

function useSubscriptions() {
  return useQuery({
    queryKey: ["subscriptions"],
    queryFn: ({ signal }) => api.get<{ items: Subscription[] }>("/api/admin/subscriptions", signal),
  });
}

function Subscriptions() {
  const { t } = useI18n();
  const can = useCan();
  const [editing, setEditing] = useState<Subscription | "new" | undefined>();
  const subscriptions = useSubscriptions();
  return (
    <>
      <div className="toolbar toolbar-end">
        {can.admin ? (
          <Button variant="primary" onPress={() => setEditing("new")}>
            {t("subs.create")}
          </Button>
        ) : null}
      </div>
      <QueryState query={subscriptions} isEmpty={(data) => data.items.length === 0} empty={<Empty title={t("subs.empty")}>{t("subs.emptyHint")}</Empty>}>
        {(data) => (
          <ul className="card-grid" aria-label={t("webhooks.subscriptions")}>
            {data.items.map((subscription) => (
              <li key={subscription.id}>
                <SubscriptionCard subscription={subscription} onEdit={() => setEditing(subscription)} />
              </li>
            ))}
          </ul>
        )}
      </QueryState>
      {editing ? <SubscriptionDialog subscription={editing === "new" ? undefined : editing} onClose={() => setEditing(undefined)} /> : null}
    </>
  );
}

function SubscriptionCard({ subscription, onEdit }: { subscription: Subscription; onEdit: () => void }) {
  const { t } = useI18n();
  const can = useCan();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [newSecret, setNewSecret] = useState<string | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["subscriptions"] });
  const patch = useMutation({
    mutationFn: (body: { active: boolean }) => api.patch<Subscription>(`/api/admin/subscriptions/${subscription.id}`, body),
    onSettled: refresh,
  });
  const remove = useConfirmed(() => api.delete(`/api/admin/subscriptions/${subscription.id}`), { onSuccess: () => void refresh() });
  const rotate = useConfirmed(
    () => api.post<SubscriptionWithSecret>(`/api/admin/subscriptions/${subscription.id}/rotate-secret`, { overlapHours: 24 }),
    {
      onSuccess: (answer) => {
        setNewSecret(answer.signingSecret);
        void refresh();
      },
    },
  );
  const active = patch.isPending && patch.variables ? patch.variables.active : subscription.active;
  return (
    <Card
      id={`sub-${subscription.id}`}
      level={3}
      title={subscription.url}
      titleClassName="break"
      alert={Boolean(subscription.failingSince || subscription.disabledReason)}
      badges={
        <div className="badges">
          <Badge tone={active ? "ok" : "neutral"}>{active ? t("provider.active") : t("subs.disabled")}</Badge>
          {subscription.ordered ? <Badge tone="info">{t("subs.ordered")}</Badge> : null}
        </div>
      }
    >
      {subscription.description ? <p className="small">{subscription.description}</p> : null}
      <p className="small">
        {t("subs.events")}: {subscription.eventTypes.map((type) => <code key={type} className="tag">{type}</code>)}
      </p>
      <p className="small">
        {t("subs.secret")}: <code>{subscription.secret}</code>
        {subscription.previousSecrets.length > 0 ? (
          <span className="muted"> · {t("subs.previousSecret", { when: format.dateTime(subscription.previousSecrets[0]?.expiresAt) })}</span>
        ) : null}
      </p>
      {subscription.failingSince ? (
        <p className="small test-failed" role="note">
          ✗ {t("subs.failingSince", { when: format.relative(subscription.failingSince) })}
        </p>
      ) : null}
      {subscription.disabledReason ? (
        <p className="small test-failed" role="note">
          {t("subs.disabledBecause", { reason: subscription.disabledReason })}
        </p>
      ) : null}
      <InlineError error={patch.error} />
      {newSecret ? (
        <>
          <OnceValue value={newSecret} note={t("subs.secretOnce")} />
          <Button small onPress={() => setNewSecret(undefined)}>
            {t("keys.stored")}
          </Button>
        </>
      ) : null}
      {can.admin ? (
        <>
          <div className="card-controls">
            <Toggle label={t("subs.activeToggle")} isSelected={active} onChange={(value) => patch.mutate({ active: value })} isDisabled={patch.isPending} />
          </div>
          <div className="card-actions">
            <Button small onPress={onEdit}>
              {t("common.edit")}
            </Button>
            <Button small onPress={() => rotate.ask()}>
              {t("subs.rotate")}
            </Button>
            <Button small onPress={() => setSearchParam("tab", "deliveries")}>
              {t("subs.viewDeliveries")}
            </Button>
            <Button small variant="danger" onPress={() => remove.ask()}>
              {t("common.delete")}
            </Button>
          </div>
        </>
      ) : null}
      <ConfirmDialog {...rotate.dialog} title={t("subs.rotateTitle")} confirmLabel={t("subs.rotate")} tone="primary">
        <p>{t("subs.rotateBody")}</p>
      </ConfirmDialog>
      <ConfirmDialog {...remove.dialog} title={t("subs.deleteTitle")} confirmLabel={t("common.delete")}>
        <p>{t("subs.deleteBody", { url: subscription.url })}</p>
      </ConfirmDialog>
    </Card>
  );
}

function SubscriptionDialog({ subscription, onClose }: { subscription?: Subscription; onClose: () => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const catalog = useCatalog();
  const [url, setUrl] = useState(subscription?.url ?? "");
  const [description, setDescription] = useState(subscription?.description ?? "");
  const [eventTypes, setEventTypes] = useState<string[]>(subscription?.eventTypes ?? []);
  const [ordered, setOrdered] = useState(subscription?.ordered ?? false);
  const [rate, setRate] = useState(subscription?.rateLimitPerSecond ? String(subscription.rateLimitPerSecond) : "");
  const types = (catalog.data?.items ?? []).filter((entry) => entry.subscribable);
  const families = [...new Set(types.map((entry) => `${entry.type.split(".")[0]}.*`))];
  const save = useMutation({
    mutationFn: (): Promise<Subscription & { signingSecret?: string }> => {
      const body = {
        url,
        eventTypes,
        description: description === "" ? (subscription ? null : undefined) : description,
        ordered,
        rateLimitPerSecond: rate === "" ? (subscription ? null : undefined) : Number(rate),
      };
      return subscription
        ? api.patch<Subscription>(`/api/admin/subscriptions/${subscription.id}`, body)
        : api.post<SubscriptionWithSecret>("/api/admin/subscriptions", body);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["subscriptions"] }),
  });
  const created = !subscription && save.data?.signingSecret ? { url: save.data.url, signingSecret: save.data.signingSecret } : undefined;
  return (
    <ModalDialog title={subscription ? t("subs.editTitle") : t("subs.create")} isOpen onOpenChange={(open) => !open && onClose()} wide isDismissable={!created}>
      {created ? (
        <>
          <p>{t("subs.created", { url: created.url })}</p>
          <OnceValueStep value={created.signingSecret} note={t("subs.secretOnce")} onDone={onClose} />
        </>
      ) : (
        <SubmitForm onSubmit={() => save.mutate(undefined, { onSuccess: () => subscription && onClose() })}>
          <Field label={t("subs.url")} type="url" value={url} onChange={setUrl} isRequired description={t("subs.urlHint")} autoFocus />
          <Field label={t("subs.description")} value={description} onChange={setDescription} />
          <QueryState query={catalog}>
            {() => (
              <CheckboxGroup className="checkbox-group" value={eventTypes} onChange={setEventTypes} isRequired>
                <Label className="field-label">{t("subs.events")}</Label>
                <div className="checkbox-grid">
                  <Checkbox value="*" className="checkbox">
                    <span className="checkbox-box" aria-hidden="true" />
                    {t("subs.allEvents")}
                  </Checkbox>
                  {families.map((family) => (
                    <Checkbox key={family} value={family} className="checkbox">
                      <span className="checkbox-box" aria-hidden="true" />
                      <code>{family}</code>
                    </Checkbox>
                  ))}
                  {types.map((entry) => (
                    <Checkbox key={entry.type} value={entry.type} className="checkbox">
                      <span className="checkbox-box" aria-hidden="true" />
                      <span title={entry.description}>
                        <code>{entry.type}</code>
                      </span>
                    </Checkbox>
                  ))}
                </div>
              </CheckboxGroup>
            )}
          </QueryState>
          <Field label={t("subs.rate")} type="number" inputMode="numeric" value={rate} onChange={setRate} description={t("subs.rateHint")} />
          <Toggle label={t("subs.orderedToggle")} isSelected={ordered} onChange={setOrdered} />
          <InlineError error={save.error} />
          <SubmitActions onCancel={onClose} submitLabel={subscription ? t("common.save") : t("subs.create")} pending={save.isPending} isDisabled={eventTypes.length === 0} />
        </SubmitForm>
      )}
    </ModalDialog>
  );
}

// ------------------------------------------------------------------ deliveries

function Deliveries() {
  const { t } = useI18n();
  const [subscriptionId, setSubscriptionId] = useState("");
  const [status, setStatus] = useState("");
  const subscriptions = useSubscriptions();
  const deliveries = usePaged<Delivery>(["deliveries", subscriptionId, status], "/api/admin/deliveries", { subscriptionId, status });
  const urlOf = (id: string) => subscriptions.data?.items.find((subscription) => subscription.id === id)?.url ?? id;
  return (
    <PagedLog
      query={deliveries}
      filters={
        <>
          <FilterSelect
            label={t("deliveries.subscription")}
            options={(subscriptions.data?.items ?? []).map((subscription) => ({ id: subscription.id, label: subscription.url }))}
            value={subscriptionId}
            onChange={setSubscriptionId}
          />
          <FilterSelect
            label={t("webhooks.status")}
            options={DELIVERY_STATUSES.map((id) => ({ id, label: t(`delivery.status.${id}` as MessageKey) }))}
            value={status}
            onChange={setStatus}
          />
        </>
      }
      empty={<Empty title={t("deliveries.empty")}>{t("deliveries.emptyHint")}</Empty>}
      row={(delivery) => <DeliveryRow delivery={delivery} url={urlOf(delivery.subscriptionId)} />}
    />
  );
}

function DeliveryRow({ delivery, url }: { delivery: Delivery; url: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const queryClient = useQueryClient();
  const redrive = useMutation({
    mutationFn: () => api.post<Delivery>(`/api/admin/deliveries/${delivery.id}/redrive`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["deliveries"] }),
  });
  return (
    <DisclosureRow
      level={3}
      className="log-row"
      summary={
        <span className="log-summary">
          <span className="nowrap">{format.dateTime(delivery.createdAt)}</span>
          <code>{delivery.eventType}</code>
          <Badge tone={DELIVERY_TONE[delivery.status]}>{t(`delivery.status.${delivery.status}` as MessageKey)}</Badge>
          <span className="muted small break">
            → {url} · {t("deliveries.attemptsCount", { count: delivery.totalAttempts })}
          </span>
        </span>
      }
    >
      <Facts
        items={[
          [t("deliveries.webhookId"), <code>{delivery.webhookId}</code>],
          [t("deliveries.next"), delivery.nextAttemptAt && format.dateTime(delivery.nextAttemptAt)],
          [t("deliveries.deadReason"), delivery.deadReason],
          [t("deliveries.redrives"), delivery.redrives > 0 && delivery.redrives],
        ]}
      />
      <h4 className="small-heading">{t("deliveries.history")}</h4>
      {delivery.attempts.length === 0 ? (
        <p className="muted small">{t("deliveries.noAttempts")}</p>
      ) : (
        <DataTable
          variant="compact"
          columns={["#", t("audit.when"), t("deliveries.outcome"), "HTTP", t("deliveries.latency"), t("deliveries.detail")]}
        >
          {delivery.attempts.map((attempt) => (
            <tr key={attempt.n}>
              <td>{attempt.n}</td>
              <td className="nowrap">{format.dateTime(attempt.at)}</td>
              <td>
                <Badge tone={attempt.outcome === "delivered" ? "ok" : "danger"}>{t(`deliveries.${attempt.outcome}` as MessageKey)}</Badge>
              </td>
              <td>{attempt.status ?? "—"}</td>
              <td>{format.ms(attempt.latencyMs)}</td>
              <td className="break small">{attempt.error ?? attempt.response ?? ""}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <InlineError error={redrive.error} />
      {can.admin && delivery.status === "dead" ? (
        <Button small onPress={() => redrive.mutate()} isDisabled={redrive.isPending}>
          {redrive.isPending ? t("common.working") : t("dlq.redriveOne")}
        </Button>
      ) : null}
    </DisclosureRow>
  );
}
