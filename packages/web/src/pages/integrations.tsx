import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Form, Link, Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import {
  Badge,
  Button,
  ConfirmDialog,
  CopyButton,
  Empty,
  ErrorState,
  Field,
  InlineError,
  Loading,
  ModalDialog,
  PageHeader,
  SecretField,
  SelectField,
  Toggle,
} from "../components/ui.tsx";
import { absoluteUrl, api, ApiError, qs } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n, type MessageKey, type Translate } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { setSearchParam, useLocation } from "../lib/router.tsx";
import { PROVIDER_TYPES, type Features, type Format, type LastTest, type Location, type Provider, type ProviderList, type ProviderType } from "../lib/types.ts";

export function typeLabel(t: Translate, type: ProviderType | "all" | "any"): string {
  return t(`type.${type}` as MessageKey);
}

export function useLocations() {
  return useQuery({ queryKey: ["locations"], queryFn: ({ signal }) => api.get<{ items: Location[] }>("/api/admin/locations", signal) });
}

export function useFormats() {
  return useQuery({ queryKey: ["formats"], queryFn: ({ signal }) => api.get<{ items: Format[] }>("/api/admin/formats", signal), staleTime: Infinity });
}

export function LocationSwitcher({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  const locations = useLocations();
  const options = [{ id: "", label: t("location.all") }, ...(locations.data?.items ?? []).map((location) => ({ id: location.id, label: location.name }))];
  return (
    <SelectField
      label={t("location.label")}
      options={options}
      value={value}
      onChange={onChange}
      isDisabled={locations.isPending || (locations.data?.items.length ?? 0) === 0}
      description={locations.isError ? t("location.failed") : undefined}
    />
  );
}

export function LastTestLine({ test }: { test: LastTest }) {
  const { t } = useI18n();
  const format = useFormat();
  if (test.status === "never" || !test.at) return <span className="muted">{t("provider.neverTested")}</span>;
  const when = format.relative(test.at);
  return test.status === "ok" ? (
    <span className="test-ok" title={format.dateTime(test.at)}>
      ✓ {t("provider.testedOk", { when })}
    </span>
  ) : (
    <span className="test-failed" title={format.dateTime(test.at)}>
      ✗ {t("provider.testedFailed", { when })}
      {test.message ? `: ${test.message}` : ""}
    </span>
  );
}

export default function IntegrationsPage() {
  const { t } = useI18n();
  const can = useCan();
  const { search } = useLocation();
  const locationId = search.get("location") ?? "";
  const tab = (search.get("type") ?? "all") as ProviderType | "all";
  const providers = useQuery({
    queryKey: ["providers", locationId],
    queryFn: ({ signal }) => api.get<ProviderList>(`/api/admin/providers${qs({ locationId })}`, signal),
  });
  const total = providers.data?.items.length ?? 0;
  const counts = providers.data?.counts ?? {};
  const tabs: (ProviderType | "all")[] = ["all", ...PROVIDER_TYPES];

  return (
    <>
      <PageHeader
        title={t("integrations.title")}
        description={t("integrations.intro")}
        actions={
          can.admin ? (
            <Link className="btn btn-primary" href={`/integrations/new${qs({ type: tab === "all" ? undefined : tab, location: locationId || undefined })}`}>
              {t("integrations.add")}
            </Link>
          ) : undefined
        }
      />
      <div className="toolbar">
        <LocationSwitcher value={locationId} onChange={(value) => setSearchParam("location", value || undefined)} />
      </div>
      <Tabs selectedKey={tab} onSelectionChange={(key) => setSearchParam("type", key === "all" ? undefined : String(key))} className="tabs">
        <TabList aria-label={t("integrations.types")} className="tab-list">
          {tabs.map((type) => {
            const count = type === "all" ? total : (counts[type] ?? 0);
            return (
              <Tab key={type} id={type} className="tab">
                {typeLabel(t, type)} <span className="count" aria-label={t("common.countLabel", { count })}>{count}</span>
              </Tab>
            );
          })}
        </TabList>
        {tabs.map((type) => (
          <TabPanel key={type} id={type} className="tab-panel">
            {providers.isPending ? (
              <Loading />
            ) : providers.isError ? (
              <ErrorState error={providers.error} onRetry={() => void providers.refetch()} />
            ) : (
              <ProviderGrid
                providers={providers.data.items.filter((provider) => type === "all" || provider.type === type)}
                type={type}
                locationId={locationId}
              />
            )}
          </TabPanel>
        ))}
      </Tabs>
      <FeaturesPanel locationId={locationId} providers={providers.data?.items ?? []} />
    </>
  );
}

function ProviderGrid({ providers, type, locationId }: { providers: Provider[]; type: ProviderType | "all"; locationId: string }) {
  const { t } = useI18n();
  const can = useCan();
  if (providers.length === 0) {
    return (
      <Empty
        title={type === "all" ? t("integrations.emptyAll") : t("integrations.emptyType", { type: typeLabel(t, type) })}
        action={
          can.admin ? (
            <Link className="btn btn-primary" href={`/integrations/new${qs({ type: type === "all" ? undefined : type, location: locationId || undefined })}`}>
              {t("integrations.add")}
            </Link>
          ) : undefined
        }
      >
        {t("integrations.emptyHint")}
      </Empty>
    );
  }
  return (
    <ul className="card-grid" aria-label={t("integrations.providers")}>
      {providers.map((provider) => (
        <li key={provider.id}>
          <ProviderCard provider={provider} />
        </li>
      ))}
    </ul>
  );
}

function ProviderCard({ provider }: { provider: Provider }) {
  const { t } = useI18n();
  const can = useCan();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["providers"] });
  const patch = useMutation({
    mutationFn: (body: Partial<Pick<Provider, "active" | "testMode">>) => api.patch<Provider>(`/api/admin/providers/${provider.id}`, body),
    onSettled: invalidate,
  });
  const test = useMutation({
    mutationFn: () => api.post<LastTest>(`/api/admin/providers/${provider.id}/test`),
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: () => api.delete(`/api/admin/providers/${provider.id}`),
    onSuccess: () => {
      setDeleting(false);
      void invalidate();
      void queryClient.invalidateQueries({ queryKey: ["features"] });
    },
  });
  const headingId = `provider-${provider.id}`;
  const optimistic = patch.isPending ? { ...provider, ...patch.variables } : provider;
  return (
    <article className="card provider-card" aria-labelledby={headingId} data-provider={provider.slug}>
      <div className="card-head">
        <h2 id={headingId} className="card-title">
          {provider.name}
        </h2>
        <div className="badges">
          <Badge tone={optimistic.active ? "ok" : "neutral"}>{optimistic.active ? t("provider.active") : t("provider.inactive")}</Badge>
          {optimistic.testMode ? <Badge tone="warn">{t("provider.testMode")}</Badge> : null}
          {provider.inherited ? <Badge tone="info">{t("provider.inherited")}</Badge> : provider.locationId ? <Badge tone="info">{t("provider.ownLocation")}</Badge> : null}
        </div>
      </div>
      <p className="muted small">
        {typeLabel(t, provider.type)} · <code>{provider.apiFormat}</code> · <code>{provider.slug}</code>
      </p>
      <p className="small last-test" aria-live="polite">
        {test.isPending ? <span>{t("provider.testing")}</span> : <LastTestLine test={provider.lastTest} />}
      </p>
      <InlineError error={test.error ?? patch.error} />
      {can.admin ? (
        <div className="card-controls">
          <Toggle label={t("provider.activeToggle")} isSelected={optimistic.active} onChange={(active) => patch.mutate({ active })} isDisabled={patch.isPending} />
          <Toggle label={t("provider.testModeToggle")} isSelected={optimistic.testMode} onChange={(testMode) => patch.mutate({ testMode })} isDisabled={patch.isPending} />
        </div>
      ) : null}
      {can.admin ? (
        <div className="card-actions">
          <Button small onPress={() => test.mutate()} isDisabled={test.isPending}>
            {t("provider.test")}
          </Button>
          <Button small onPress={() => setEditing(true)}>
            {t("common.edit")}
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
      ) : null}
      {editing ? <EditProviderDialog provider={provider} onClose={() => setEditing(false)} /> : null}
      <ConfirmDialog
        title={t("provider.deleteTitle", { name: provider.name })}
        isOpen={deleting}
        onOpenChange={setDeleting}
        confirmLabel={t("common.delete")}
        onConfirm={() => remove.mutate()}
        pending={remove.isPending}
        error={remove.error}
      >
        <p>{t("provider.deleteBody")}</p>
        {remove.error instanceof ApiError && remove.error.status === 409 ? <p className="muted small">{t("provider.deleteConflictHint")}</p> : null}
      </ConfirmDialog>
    </article>
  );
}

function EditProviderDialog({ provider, onClose }: { provider: Provider; onClose: () => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const formats = useFormats();
  const [name, setName] = useState(provider.name);
  const [baseUrl, setBaseUrl] = useState(provider.baseUrl);
  const [sandboxBaseUrl, setSandboxBaseUrl] = useState(provider.sandboxBaseUrl ?? "");
  const [notes, setNotes] = useState(provider.notes ?? "");
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const fields = formats.data?.items.find((format) => format.id === provider.apiFormat)?.secrets ?? [];
  const save = useMutation({
    mutationFn: () => {
      // Only what changed, so the audit log names exactly the fields the owner touched.
      const changedSecrets = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value !== ""));
      const patch: Record<string, unknown> = {};
      if (name !== provider.name) patch.name = name;
      if (baseUrl !== provider.baseUrl) patch.baseUrl = baseUrl;
      if (sandboxBaseUrl !== (provider.sandboxBaseUrl ?? "")) patch.sandboxBaseUrl = sandboxBaseUrl === "" ? null : sandboxBaseUrl;
      if (notes !== (provider.notes ?? "")) patch.notes = notes === "" ? null : notes;
      if (Object.keys(changedSecrets).length > 0) patch.secrets = changedSecrets;
      if (Object.keys(patch).length === 0) return Promise.resolve(provider);
      return api.patch<Provider>(`/api/admin/providers/${provider.id}`, patch);
    },
    onSuccess: () => {
      setSecrets({});
      void queryClient.invalidateQueries({ queryKey: ["providers"] });
      onClose();
    },
  });
  return (
    <ModalDialog title={t("provider.editTitle", { name: provider.name })} isOpen onOpenChange={(open) => !open && onClose()} wide>
      <Form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Field label={t("wizard.name")} value={name} onChange={setName} isRequired />
        <Field label={t("wizard.baseUrl")} type="url" value={baseUrl} onChange={setBaseUrl} isRequired />
        <Field label={t("wizard.sandboxBaseUrl")} type="url" value={sandboxBaseUrl} onChange={setSandboxBaseUrl} description={t("wizard.sandboxHint")} />
        <Field label={t("provider.notes")} value={notes} onChange={setNotes} />
        <fieldset className="fieldset">
          <legend>{t("provider.secrets")}</legend>
          <p className="muted small">{t("provider.secretsKeep")}</p>
          {fields.map((field) => (
            <SecretField
              key={field.name}
              label={field.label}
              value={secrets[field.name] ?? ""}
              onChange={(value) => setSecrets((current) => ({ ...current, [field.name]: value }))}
              isRequired={false}
              placeholder={provider.secrets[field.name] ?? t("provider.notSet")}
            />
          ))}
        </fieldset>
        <InlineError error={save.error} />
        <div className="dialog-actions">
          <Button onPress={onClose}>{t("common.cancel")}</Button>
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            {save.isPending ? t("common.saving") : t("common.save")}
          </Button>
        </div>
      </Form>
    </ModalDialog>
  );
}

function FeaturesPanel({ locationId, providers }: { locationId: string; providers: Provider[] }) {
  const { t } = useI18n();
  const can = useCan();
  const format = useFormat();
  const queryClient = useQueryClient();
  const features = useQuery({
    queryKey: ["features", locationId],
    queryFn: ({ signal }) => api.get<Features>(`/api/admin/features${qs({ locationId })}`, signal),
  });
  const [unmapping, setUnmapping] = useState<string | undefined>();
  const unmap = useMutation({
    mutationFn: (featureKey: string) => api.put("/api/admin/features", { locationId: locationId || undefined, mappings: [{ featureKey, primaryProviderId: null }] }),
    onSuccess: () => setUnmapping(undefined),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["features"] }),
  });
  const name = (id: string | undefined) => (id ? (providers.find((provider) => provider.id === id)?.name ?? id) : "—");
  return (
    <section className="section" aria-labelledby="features-heading">
      <h2 id="features-heading">{t("features.title")}</h2>
      <p className="muted">{t("features.intro")}</p>
      {features.isPending ? (
        <Loading />
      ) : features.isError ? (
        <ErrorState error={features.error} onRetry={() => void features.refetch()} />
      ) : features.data.effective.length === 0 ? (
        <Empty title={t("features.empty")}>{t("features.emptyHint")}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("features.feature")}</th>
                <th scope="col">{t("features.primary")}</th>
                <th scope="col">{t("features.fallback")}</th>
                <th scope="col">{t("features.updated")}</th>
                {can.admin ? <th scope="col"><span className="visually-hidden">{t("common.actions")}</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {features.data.effective.map((mapping) => (
                <tr key={`${mapping.scope}-${mapping.featureKey}`}>
                  <td>
                    <code>{mapping.featureKey}</code> {mapping.inherited ? <Badge tone="info">{t("provider.inherited")}</Badge> : null}
                  </td>
                  <td>{name(mapping.primaryProviderId)}</td>
                  <td>{name(mapping.fallbackProviderId)}</td>
                  <td title={format.dateTime(mapping.updatedAt)}>{format.relative(mapping.updatedAt)}</td>
                  {can.admin ? (
                    <td>
                      {mapping.inherited ? null : (
                        <Button
                          small
                          variant="ghost"
                          onPress={() => {
                            unmap.reset();
                            setUnmapping(mapping.featureKey);
                          }}
                          aria-label={t("features.unmapLabel", { feature: mapping.featureKey })}
                        >
                          {t("features.unmap")}
                        </Button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        title={t("features.unmapTitle", { feature: unmapping ?? "" })}
        isOpen={Boolean(unmapping)}
        onOpenChange={(open) => !open && setUnmapping(undefined)}
        confirmLabel={t("features.unmap")}
        onConfirm={() => unmapping && unmap.mutate(unmapping)}
        pending={unmap.isPending}
        error={unmap.error}
      >
        <p>{locationId ? t("features.unmapBodyLocation") : t("features.unmapBody")}</p>
      </ConfirmDialog>
    </section>
  );
}

export function WebhookUrl({ url }: { url: string }) {
  const { t } = useI18n();
  const full = absoluteUrl(url);
  return (
    <div className="webhook-url">
      <span className="field-label">{t("provider.webhookUrl")}</span>
      <div className="once-value">
        <code data-testid="webhook-url">{full}</code>
        <CopyButton value={full} label={t("provider.copyWebhook")} />
      </div>
      <p className="muted small">{t("provider.webhookHint")}</p>
    </div>
  );
}
