import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-aria-components";
import { Card } from "../components/card.tsx";
import { DataTable } from "../components/data-table.tsx";
import { SubmitActions, SubmitForm } from "../components/form.tsx";
import { QueryState } from "../components/query-state.tsx";
import { SecretInputs } from "../components/secret-inputs.tsx";
import { Badge, Button, ConfirmDialog, CopyButton, Empty, Field, InlineError, ModalDialog, PageHeader, SelectField, Toggle, type Option } from "../components/ui.tsx";
import { UrlTabs } from "../components/url-tabs.tsx";
import { absoluteUrl, api, ApiError, qs } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
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

/** "All locations" (the empty value: the whole business), then each location. */
export function locationOptions(t: Translate, locations: Location[] | undefined): Option[] {
  return [{ id: "", label: t("location.all") }, ...(locations ?? []).map((location) => ({ id: location.id, label: location.name }))];
}

export function LocationSwitcher({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  const locations = useLocations();
  return (
    <SelectField
      label={t("location.label")}
      options={locationOptions(t, locations.data?.items)}
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
  const tabs: (ProviderType | "all")[] = ["all", ...PROVIDER_TYPES];
  const tab = tabs.find((type) => type === search.get("type")) ?? "all";
  const providers = useQuery({
    queryKey: ["providers", locationId],
    queryFn: ({ signal }) => api.get<ProviderList>(`/api/admin/providers${qs({ locationId })}`, signal),
  });
  const total = providers.data?.items.length ?? 0;
  const counts = providers.data?.counts ?? {};

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
      <UrlTabs
        param="type"
        label={t("integrations.types")}
        tabs={tabs.map((type) => {
          const count = type === "all" ? total : (counts[type] ?? 0);
          return {
            id: type,
            label: (
              <>
                {typeLabel(t, type)} <span className="count" aria-label={t("common.countLabel", { count })}>{count}</span>
              </>
            ),
            panel: (
              <QueryState query={providers}>
                {(data) => <ProviderGrid providers={data.items.filter((provider) => type === "all" || provider.type === type)} type={type} locationId={locationId} />}
              </QueryState>
            ),
          };
        })}
      />
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
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["providers"] });
  const patch = useMutation({
    mutationFn: (body: Partial<Pick<Provider, "active" | "testMode">>) => api.patch<Provider>(`/api/admin/providers/${provider.id}`, body),
    onSettled: invalidate,
  });
  const test = useMutation({
    mutationFn: () => api.post<LastTest>(`/api/admin/providers/${provider.id}/test`),
    onSettled: invalidate,
  });
  const remove = useConfirmed(() => api.delete(`/api/admin/providers/${provider.id}`), {
    onSuccess: () => {
      void invalidate();
      void queryClient.invalidateQueries({ queryKey: ["features"] });
    },
  });
  const optimistic = patch.isPending ? { ...provider, ...patch.variables } : provider;
  return (
    <Card
      id={`provider-${provider.id}`}
      title={provider.name}
      className="provider-card"
      data={{ "data-provider": provider.slug }}
      badges={
        <div className="badges">
          <Badge tone={optimistic.active ? "ok" : "neutral"}>{optimistic.active ? t("provider.active") : t("provider.inactive")}</Badge>
          {optimistic.testMode ? <Badge tone="warn">{t("provider.testMode")}</Badge> : null}
          {provider.inherited ? <Badge tone="info">{t("provider.inherited")}</Badge> : provider.locationId ? <Badge tone="info">{t("provider.ownLocation")}</Badge> : null}
        </div>
      }
    >
      <p className="muted small">
        {typeLabel(t, provider.type)} · <code>{provider.apiFormat}</code> · <code>{provider.slug}</code>
      </p>
      <p className="small last-test" aria-live="polite">
        {test.isPending ? <span>{t("provider.testing")}</span> : <LastTestLine test={provider.lastTest} />}
      </p>
      <InlineError error={test.error ?? patch.error} />
      {provider.warnings.length > 0 ? (
        <ul className="notice notice-warn small provider-warnings">
          {provider.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      ) : null}
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
          <Button small variant="danger" onPress={() => remove.ask()}>
            {t("common.delete")}
          </Button>
        </div>
      ) : null}
      {editing ? <EditProviderDialog provider={provider} onClose={() => setEditing(false)} /> : null}
      <ConfirmDialog {...remove.dialog} title={t("provider.deleteTitle", { name: provider.name })} confirmLabel={t("common.delete")}>
        <p>{t("provider.deleteBody")}</p>
        {remove.dialog.error instanceof ApiError && remove.dialog.error.status === 409 ? <p className="muted small">{t("provider.deleteConflictHint")}</p> : null}
      </ConfirmDialog>
    </Card>
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
      <SubmitForm onSubmit={() => save.mutate()}>
        <Field label={t("wizard.name")} value={name} onChange={setName} isRequired />
        <Field label={t("wizard.baseUrl")} type="url" value={baseUrl} onChange={setBaseUrl} isRequired />
        <Field label={t("wizard.sandboxBaseUrl")} type="url" value={sandboxBaseUrl} onChange={setSandboxBaseUrl} description={t("wizard.sandboxHint")} />
        <Field label={t("provider.notes")} value={notes} onChange={setNotes} />
        <fieldset className="fieldset">
          <legend>{t("provider.secrets")}</legend>
          <p className="muted small">{t("provider.secretsKeep")}</p>
          <SecretInputs fields={fields} values={secrets} setValues={setSecrets} stored={provider.secrets} />
        </fieldset>
        <InlineError error={save.error} />
        <SubmitActions onCancel={onClose} submitLabel={t("common.save")} pending={save.isPending} />
      </SubmitForm>
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
  const unmap = useConfirmed(
    (featureKey: string) => api.put("/api/admin/features", { locationId: locationId || undefined, mappings: [{ featureKey, primaryProviderId: null }] }),
    { onSettled: () => void queryClient.invalidateQueries({ queryKey: ["features"] }) },
  );
  const name = (id: string | undefined) => (id ? (providers.find((provider) => provider.id === id)?.name ?? id) : "—");
  return (
    <section className="section" aria-labelledby="features-heading">
      <h2 id="features-heading">{t("features.title")}</h2>
      <p className="muted">{t("features.intro")}</p>
      <QueryState query={features} isEmpty={(data) => data.effective.length === 0} empty={<Empty title={t("features.empty")}>{t("features.emptyHint")}</Empty>}>
        {(data) => (
          <DataTable
            columns={[
              t("features.feature"),
              t("features.primary"),
              t("features.fallback"),
              t("features.updated"),
              can.admin && { label: t("common.actions"), hidden: true },
            ]}
          >
            {data.effective.map((mapping) => (
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
                      <Button small variant="ghost" onPress={() => unmap.ask(mapping.featureKey)} aria-label={t("features.unmapLabel", { feature: mapping.featureKey })}>
                        {t("features.unmap")}
                      </Button>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      <ConfirmDialog {...unmap.dialog} title={t("features.unmapTitle", { feature: unmap.target ?? "" })} confirmLabel={t("features.unmap")}>
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
