import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button as AriaButton, Checkbox, CheckboxGroup, Disclosure, DisclosurePanel, Form, Heading, Label, Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import {
  Badge,
  Button,
  ConfirmDialog,
  Empty,
  ErrorState,
  Field,
  InlineError,
  LoadMore,
  Loading,
  ModalDialog,
  OnceValue,
  PageHeader,
  SelectField,
  Toggle,
} from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import {
  DELIVERY_STATUSES,
  INBOUND_STATUSES,
  type CatalogEntry,
  type Delivery,
  type DeliveryStatus,
  type InboundStatus,
  type InboundWebhook,
  type Page,
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

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export default function WebhooksPage() {
  const { t } = useI18n();
  const { search } = useLocation();
  const tab = search.get("tab") ?? "inbound";
  return (
    <>
      <PageHeader title={t("webhooks.title")} description={t("webhooks.intro")} />
      <Tabs selectedKey={tab} onSelectionChange={(key) => setSearchParam("tab", key === "inbound" ? undefined : String(key))} className="tabs">
        <TabList aria-label={t("webhooks.title")} className="tab-list">
          <Tab id="inbound" className="tab">
            {t("webhooks.inbound")}
          </Tab>
          <Tab id="subscriptions" className="tab">
            {t("webhooks.subscriptions")}
          </Tab>
          <Tab id="deliveries" className="tab">
            {t("webhooks.deliveries")}
          </Tab>
        </TabList>
        <TabPanel id="inbound" className="tab-panel">
          <InboundLog />
        </TabPanel>
        <TabPanel id="subscriptions" className="tab-panel">
          <Subscriptions />
        </TabPanel>
        <TabPanel id="deliveries" className="tab-panel">
          <Deliveries />
        </TabPanel>
      </Tabs>
    </>
  );
}

// ------------------------------------------------------------------ inbound

function InboundLog() {
  const { t } = useI18n();
  const format = useFormat();
  const can = useCan();
  const queryClient = useQueryClient();
  const [providerId, setProviderId] = useState("");
  const [status, setStatus] = useState("");
  const [replaying, setReplaying] = useState<InboundWebhook | undefined>();
  const providers = useQuery({ queryKey: ["providers", ""], queryFn: ({ signal }) => api.get<ProviderList>("/api/admin/providers", signal) });
  const log = useInfiniteQuery({
    queryKey: ["inbound", providerId, status],
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<InboundWebhook>>(`/api/admin/webhooks/inbound${qs({ providerId, status, cursor: pageParam, limit: 50 })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
  const replay = useMutation({
    mutationFn: (id: string) => api.post<InboundWebhook>(`/api/admin/webhooks/inbound/${id}/replay`),
    onSuccess: () => {
      setReplaying(undefined);
      void queryClient.invalidateQueries({ queryKey: ["inbound"] });
    },
  });
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <div className="toolbar">
        <SelectField
          label={t("webhooks.provider")}
          options={[{ id: "", label: t("common.any") }, ...(providers.data?.items ?? []).map((provider) => ({ id: provider.id, label: provider.name }))]}
          value={providerId}
          onChange={setProviderId}
        />
        <SelectField
          label={t("webhooks.status")}
          options={[{ id: "", label: t("common.any") }, ...INBOUND_STATUSES.map((id) => ({ id, label: t(`inbound.status.${id}` as MessageKey) }))]}
          value={status}
          onChange={setStatus}
        />
      </div>
      {log.isPending ? (
        <Loading />
      ) : log.isError ? (
        <ErrorState error={log.error} onRetry={() => void log.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={t("webhooks.inboundEmpty")}>{t("webhooks.inboundEmptyHint")}</Empty>
      ) : (
        <>
          <ul className="plain-list log-list">
            {items.map((record) => (
              <li key={record.id}>
                <Disclosure className="disclosure log-row">
                  <Heading level={3} className="disclosure-heading">
                    <AriaButton slot="trigger" className="disclosure-trigger">
                      <span aria-hidden="true" className="chevron">
                        ▸
                      </span>
                      <span className="log-summary">
                        <span className="nowrap">{format.dateTime(record.receivedAt)}</span>
                        <code>{record.providerSlug}</code>
                        <Badge tone={INBOUND_TONE[record.status]}>{t(`inbound.status.${record.status}` as MessageKey)}</Badge>
                        {record.reason ? <span className="muted small">{record.reason}</span> : null}
                      </span>
                    </AriaButton>
                  </Heading>
                  <DisclosurePanel className="disclosure-panel">
                    <dl className="facts">
                      <dt>{t("webhooks.request")}</dt>
                      <dd>
                        <code>
                          {record.method} {record.path}
                        </code>{" "}
                        <span className="muted small">{t("webhooks.from", { ip: record.sourceIp })}</span>
                      </dd>
                      {record.eventId ? (
                        <>
                          <dt>{t("webhooks.eventId")}</dt>
                          <dd>
                            <code>{record.eventId}</code>
                          </dd>
                        </>
                      ) : null}
                      <dt>{t("webhooks.attempts")}</dt>
                      <dd>{record.attempts}</dd>
                      {record.lastError ? (
                        <>
                          <dt>{t("webhooks.lastError")}</dt>
                          <dd>{record.lastError}</dd>
                        </>
                      ) : null}
                      {record.paymentId ? (
                        <>
                          <dt>{t("webhooks.payment")}</dt>
                          <dd>
                            <code>{record.paymentId}</code>
                          </dd>
                        </>
                      ) : null}
                    </dl>
                    <h4 className="small-heading">{t("webhooks.headers")}</h4>
                    <pre className="code-block" tabIndex={0}>
                      {Object.entries(record.headers)
                        .map(([name, value]) => `${name}: ${value}`)
                        .join("\n")}
                    </pre>
                    <h4 className="small-heading">{t("webhooks.body")}</h4>
                    <pre className="code-block" tabIndex={0}>
                      {pretty(record.body)}
                    </pre>
                    {can.admin && record.normalized ? (
                      <Button
                        small
                        onPress={() => {
                          replay.reset();
                          setReplaying(record);
                        }}
                      >
                        {t("webhooks.replay")}
                      </Button>
                    ) : null}
                  </DisclosurePanel>
                </Disclosure>
              </li>
            ))}
          </ul>
          <LoadMore hasMore={Boolean(log.hasNextPage)} loading={log.isFetchingNextPage} onPress={() => void log.fetchNextPage()} />
        </>
      )}
      <ConfirmDialog
        title={t("webhooks.replayTitle")}
        isOpen={Boolean(replaying)}
        onOpenChange={(open) => !open && setReplaying(undefined)}
        confirmLabel={t("webhooks.replay")}
        onConfirm={() => replaying && replay.mutate(replaying.id)}
        pending={replay.isPending}
        error={replay.error}
        tone="primary"
      >
        <p>{t("webhooks.replayBody")}</p>
      </ConfirmDialog>
    </>
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

function Subscriptions() {
  const { t } = useI18n();
  const can = useCan();
  const [editing, setEditing] = useState<Subscription | "new" | undefined>();
  const subscriptions = useQuery({
    queryKey: ["subscriptions"],
    queryFn: ({ signal }) => api.get<{ items: Subscription[] }>("/api/admin/subscriptions", signal),
  });
  return (
    <>
      <div className="toolbar toolbar-end">
        {can.admin ? (
          <Button variant="primary" onPress={() => setEditing("new")}>
            {t("subs.create")}
          </Button>
        ) : null}
      </div>
      {subscriptions.isPending ? (
        <Loading />
      ) : subscriptions.isError ? (
        <ErrorState error={subscriptions.error} onRetry={() => void subscriptions.refetch()} />
      ) : subscriptions.data.items.length === 0 ? (
        <Empty title={t("subs.empty")}>{t("subs.emptyHint")}</Empty>
      ) : (
        <ul className="card-grid" aria-label={t("webhooks.subscriptions")}>
          {subscriptions.data.items.map((subscription) => (
            <li key={subscription.id}>
              <SubscriptionCard subscription={subscription} onEdit={() => setEditing(subscription)} />
            </li>
          ))}
        </ul>
      )}
      {editing ? <SubscriptionDialog subscription={editing === "new" ? undefined : editing} onClose={() => setEditing(undefined)} /> : null}
    </>
  );
}

function SubscriptionCard({ subscription, onEdit }: { subscription: Subscription; onEdit: () => void }) {
  const { t } = useI18n();
  const can = useCan();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [rotating, setRotating] = useState(false);
  const [newSecret, setNewSecret] = useState<string | undefined>();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["subscriptions"] });
  const patch = useMutation({
    mutationFn: (body: { active: boolean }) => api.patch<Subscription>(`/api/admin/subscriptions/${subscription.id}`, body),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/admin/subscriptions/${subscription.id}`),
    onSuccess: () => {
      setDeleting(false);
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: () => api.post<SubscriptionWithSecret>(`/api/admin/subscriptions/${subscription.id}/rotate-secret`, { overlapHours: 24 }),
    onSuccess: (answer) => {
      setRotating(false);
      setNewSecret(answer.signingSecret);
      void refresh();
    },
  });
  const active = patch.isPending && patch.variables ? patch.variables.active : subscription.active;
  const headingId = `sub-${subscription.id}`;
  return (
    <article className={`card${subscription.failingSince || subscription.disabledReason ? " card-alert" : ""}`} aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId} className="card-title break">
          {subscription.url}
        </h3>
        <div className="badges">
          <Badge tone={active ? "ok" : "neutral"}>{active ? t("provider.active") : t("subs.disabled")}</Badge>
          {subscription.ordered ? <Badge tone="info">{t("subs.ordered")}</Badge> : null}
        </div>
      </div>
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
            <Button
              small
              onPress={() => {
                rotate.reset();
                setRotating(true);
              }}
            >
              {t("subs.rotate")}
            </Button>
            <Button small onPress={() => setSearchParam("tab", "deliveries")}>
              {t("subs.viewDeliveries")}
            </Button>
            <Button
              small
              variant="danger"
              onPress={() => {
                remove.reset();
                setDeleting(true);
              }}
            >
              {t("common.delete")}
            </Button>
          </div>
        </>
      ) : null}
      <ConfirmDialog
        title={t("subs.rotateTitle")}
        isOpen={rotating}
        onOpenChange={setRotating}
        confirmLabel={t("subs.rotate")}
        onConfirm={() => rotate.mutate()}
        pending={rotate.isPending}
        error={rotate.error}
        tone="primary"
      >
        <p>{t("subs.rotateBody")}</p>
      </ConfirmDialog>
      <ConfirmDialog
        title={t("subs.deleteTitle")}
        isOpen={deleting}
        onOpenChange={setDeleting}
        confirmLabel={t("common.delete")}
        onConfirm={() => remove.mutate()}
        pending={remove.isPending}
        error={remove.error}
      >
        <p>{t("subs.deleteBody", { url: subscription.url })}</p>
      </ConfirmDialog>
    </article>
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
          <OnceValue value={created.signingSecret} note={t("subs.secretOnce")} />
          <div className="dialog-actions">
            <Button variant="primary" onPress={onClose}>
              {t("keys.stored")}
            </Button>
          </div>
        </>
      ) : (
        <Form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate(undefined, { onSuccess: () => subscription && onClose() });
          }}
        >
          <Field label={t("subs.url")} type="url" value={url} onChange={setUrl} isRequired description={t("subs.urlHint")} autoFocus />
          <Field label={t("subs.description")} value={description} onChange={setDescription} />
          {catalog.isPending ? (
            <Loading />
          ) : catalog.isError ? (
            <ErrorState error={catalog.error} onRetry={() => void catalog.refetch()} />
          ) : (
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
          <Field label={t("subs.rate")} type="number" inputMode="numeric" value={rate} onChange={setRate} description={t("subs.rateHint")} />
          <Toggle label={t("subs.orderedToggle")} isSelected={ordered} onChange={setOrdered} />
          <InlineError error={save.error} />
          <div className="dialog-actions">
            <Button onPress={onClose}>{t("common.cancel")}</Button>
            <Button type="submit" variant="primary" isDisabled={save.isPending || eventTypes.length === 0}>
              {save.isPending ? t("common.saving") : subscription ? t("common.save") : t("subs.create")}
            </Button>
          </div>
        </Form>
      )}
    </ModalDialog>
  );
}

// ------------------------------------------------------------------ deliveries

function Deliveries() {
  const { t } = useI18n();
  const [subscriptionId, setSubscriptionId] = useState("");
  const [status, setStatus] = useState("");
  const subscriptions = useQuery({
    queryKey: ["subscriptions"],
    queryFn: ({ signal }) => api.get<{ items: Subscription[] }>("/api/admin/subscriptions", signal),
  });
  const deliveries = useInfiniteQuery({
    queryKey: ["deliveries", subscriptionId, status],
    queryFn: ({ pageParam, signal }) => api.get<Page<Delivery>>(`/api/admin/deliveries${qs({ subscriptionId, status, cursor: pageParam, limit: 50 })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.cursor,
  });
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];
  const urlOf = (id: string) => subscriptions.data?.items.find((subscription) => subscription.id === id)?.url ?? id;
  return (
    <>
      <div className="toolbar">
        <SelectField
          label={t("deliveries.subscription")}
          options={[{ id: "", label: t("common.any") }, ...(subscriptions.data?.items ?? []).map((subscription) => ({ id: subscription.id, label: subscription.url }))]}
          value={subscriptionId}
          onChange={setSubscriptionId}
        />
        <SelectField
          label={t("webhooks.status")}
          options={[{ id: "", label: t("common.any") }, ...DELIVERY_STATUSES.map((id) => ({ id, label: t(`delivery.status.${id}` as MessageKey) }))]}
          value={status}
          onChange={setStatus}
        />
      </div>
      {deliveries.isPending ? (
        <Loading />
      ) : deliveries.isError ? (
        <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={t("deliveries.empty")}>{t("deliveries.emptyHint")}</Empty>
      ) : (
        <>
          <ul className="plain-list log-list">
            {items.map((delivery) => (
              <li key={delivery.id}>
                <DeliveryRow delivery={delivery} url={urlOf(delivery.subscriptionId)} />
              </li>
            ))}
          </ul>
          <LoadMore hasMore={Boolean(deliveries.hasNextPage)} loading={deliveries.isFetchingNextPage} onPress={() => void deliveries.fetchNextPage()} />
        </>
      )}
    </>
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
    <Disclosure className="disclosure log-row">
      <Heading level={3} className="disclosure-heading">
        <AriaButton slot="trigger" className="disclosure-trigger">
          <span aria-hidden="true" className="chevron">
            ▸
          </span>
          <span className="log-summary">
            <span className="nowrap">{format.dateTime(delivery.createdAt)}</span>
            <code>{delivery.eventType}</code>
            <Badge tone={DELIVERY_TONE[delivery.status]}>{t(`delivery.status.${delivery.status}` as MessageKey)}</Badge>
            <span className="muted small break">
              → {url} · {t("deliveries.attemptsCount", { count: delivery.totalAttempts })}
            </span>
          </span>
        </AriaButton>
      </Heading>
      <DisclosurePanel className="disclosure-panel">
        <dl className="facts">
          <dt>{t("deliveries.webhookId")}</dt>
          <dd>
            <code>{delivery.webhookId}</code>
          </dd>
          {delivery.nextAttemptAt ? (
            <>
              <dt>{t("deliveries.next")}</dt>
              <dd>{format.dateTime(delivery.nextAttemptAt)}</dd>
            </>
          ) : null}
          {delivery.deadReason ? (
            <>
              <dt>{t("deliveries.deadReason")}</dt>
              <dd>{delivery.deadReason}</dd>
            </>
          ) : null}
          {delivery.redrives > 0 ? (
            <>
              <dt>{t("deliveries.redrives")}</dt>
              <dd>{delivery.redrives}</dd>
            </>
          ) : null}
        </dl>
        <h4 className="small-heading">{t("deliveries.history")}</h4>
        {delivery.attempts.length === 0 ? (
          <p className="muted small">{t("deliveries.noAttempts")}</p>
        ) : (
          <div className="table-wrap">
            <table className="table table-compact">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">{t("audit.when")}</th>
                  <th scope="col">{t("deliveries.outcome")}</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">{t("deliveries.latency")}</th>
                  <th scope="col">{t("deliveries.detail")}</th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          </div>
        )}
        <InlineError error={redrive.error} />
        {can.admin && delivery.status === "dead" ? (
          <Button small onPress={() => redrive.mutate()} isDisabled={redrive.isPending}>
            {redrive.isPending ? t("common.working") : t("dlq.redriveOne")}
          </Button>
        ) : null}
      </DisclosurePanel>
    </Disclosure>
  );
}
