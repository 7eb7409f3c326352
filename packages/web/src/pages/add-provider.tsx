import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { Label, Link, Radio, RadioGroup } from "react-aria-components";
import { SubmitActions, SubmitForm } from "../components/form.tsx";
import { SecretInputs } from "../components/secret-inputs.tsx";
import { QueryState } from "../components/query-state.tsx";
import { Badge, Button, Field, InlineError, Loading, PageHeader, SelectField, Toggle } from "../components/ui.tsx";
import { api, qs } from "../lib/api.ts";
import { useI18n } from "../lib/i18n.tsx";
import { navigate, useLocation } from "../lib/router.tsx";
import { PROVIDER_TYPES, type Features, type Format, type LastTest, type Preset, type Provider, type ProviderType } from "../lib/types.ts";
import { LastTestLine, locationOptions, typeLabel, useFormats, useLocations, WebhookUrl } from "./integrations.tsx";

type Step = 1 | 2 | 3 | 4;
const CUSTOM = "custom";

/** The feature keys a provider of a type usually serves (the owner may type any). */
function suggestedFeatures(type: ProviderType, slug: string): string[] {
  const key = slug.replace(/-/g, "_");
  switch (type) {
    case "payment":
      return ["payment.booking", "payment.pos", "payment.deposit"];
    case "ota":
      return [`ota.${key}`];
    case "sms":
      return ["notify.sms"];
    case "whatsapp":
      return ["notify.whatsapp"];
    case "mail":
      return ["notify.mail"];
    case "storage":
      return ["storage.files"];
    case "captcha":
      return ["captcha.verify"];
    case "ai":
      return ["ai.chat"];
    case "door_lock":
      return ["door.keys"];
    case "rate_shopper":
      return ["channel.rate_shopper"];
    case "marketplace":
      return ["marketplace.orders"];
    case "accounting_export":
      return ["accounting.export"];
    default:
      return [`custom.${key}`];
  }
}

export default function AddProviderPage() {
  const { t } = useI18n();
  const { search } = useLocation();
  const initialType = (PROVIDER_TYPES as readonly string[]).includes(search.get("type") ?? "") ? (search.get("type") as ProviderType) : "payment";
  const [step, setStep] = useState<Step>(1);
  const [type, setType] = useState<ProviderType>(initialType);
  const [presetId, setPresetId] = useState<string>("");
  const [locationId, setLocationId] = useState(search.get("location") ?? "");
  const [created, setCreated] = useState<Provider | undefined>();
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const formats = useFormats();
  const presets = useQuery({
    queryKey: ["presets", type],
    queryFn: ({ signal }) => api.get<{ items: Preset[] }>(`/api/admin/presets${qs({ type })}`, signal),
  });
  const preset = presets.data?.items.find((candidate) => candidate.id === presetId);

  useEffect(() => {
    stepHeading.current?.focus();
  }, [step]);

  const steps: { n: Step; label: string }[] = [
    { n: 1, label: t("wizard.step1") },
    { n: 2, label: t("wizard.step2") },
    { n: 3, label: t("wizard.step3") },
    { n: 4, label: t("wizard.step4") },
  ];

  return (
    <>
      <PageHeader title={t("wizard.title")} description={t("wizard.intro")} actions={<Link className="btn btn-ghost" href="/integrations">{t("common.cancel")}</Link>} />
      <ol className="steps" aria-label={t("wizard.progress")}>
        {steps.map((item) => (
          <li key={item.n} className={item.n === step ? "current" : item.n < step ? "done" : ""} aria-current={item.n === step ? "step" : undefined}>
            <span className="step-n" aria-hidden="true">
              {item.n < step ? "✓" : item.n}
            </span>
            <span>{item.label}</span>
          </li>
        ))}
      </ol>
      <section className="card wizard-card" aria-labelledby="wizard-step-heading">
        <h2 id="wizard-step-heading" ref={stepHeading} tabIndex={-1}>
          {t("wizard.stepOf", { n: step, total: 4 })}: {steps[step - 1]?.label}
        </h2>
        {step === 1 ? (
          <ChooseStep
            type={type}
            onType={(next) => {
              setType(next);
              setPresetId("");
            }}
            presetId={presetId}
            onPreset={setPresetId}
            presets={presets}
            onNext={() => setStep(2)}
          />
        ) : null}
        {step === 2 ? (
          <QueryState query={formats}>
            {(data) => (
              <CredentialsStep
                type={type}
                preset={preset}
                formats={data.items}
                locationId={locationId}
                onLocation={setLocationId}
                onBack={() => setStep(1)}
                onCreated={(provider) => {
                  setCreated(provider);
                  setStep(3);
                }}
              />
            )}
          </QueryState>
        ) : null}
        {step === 3 && created ? (
          <TestStep provider={created} formats={formats.data?.items ?? []} onUpdated={setCreated} onNext={() => setStep(4)} />
        ) : null}
        {step === 4 && created ? <MapStep provider={created} locationId={locationId} /> : null}
      </section>
    </>
  );
}

function ChooseStep({
  type,
  onType,
  presetId,
  onPreset,
  presets,
  onNext,
}: {
  type: ProviderType;
  onType: (type: ProviderType) => void;
  presetId: string;
  onPreset: (id: string) => void;
  presets: ReturnType<typeof useQuery<{ items: Preset[] }>>;
  onNext: () => void;
}) {
  const { t } = useI18n();
  return (
    <div className="form">
      <SelectField
        label={t("wizard.type")}
        options={PROVIDER_TYPES.map((id) => ({ id, label: typeLabel(t, id) }))}
        value={type}
        onChange={(value) => onType(value as ProviderType)}
      />
      <QueryState query={presets}>
        {(data) => (
          <RadioGroup className="preset-group" value={presetId} onChange={onPreset} isRequired>
            <Label className="field-label">{t("wizard.preset")}</Label>
            <p className="muted small">{t("wizard.presetHint")}</p>
            <div className="preset-grid">
              {data.items.map((preset) => (
                <Radio key={preset.id} value={preset.id} className="preset-card">
                  <span className="preset-name">{preset.name}</span>
                  <span className="muted small">{preset.description}</span>
                  <span className="small">
                    <code>{preset.apiFormat}</code>
                  </span>
                </Radio>
              ))}
              <Radio value={CUSTOM} className="preset-card">
                <span className="preset-name">{t("wizard.custom")}</span>
                <span className="muted small">{t("wizard.customHint")}</span>
              </Radio>
            </div>
            {data.items.length === 0 ? <p className="muted small">{t("wizard.noPresets", { type: typeLabel(t, type) })}</p> : null}
          </RadioGroup>
        )}
      </QueryState>
      <div className="form-actions">
        <Button variant="primary" onPress={onNext} isDisabled={!presetId}>
          {t("common.continue")}
        </Button>
      </div>
    </div>
  );
}

function CredentialsStep({
  type,
  preset,
  formats,
  locationId,
  onLocation,
  onBack,
  onCreated,
}: {
  type: ProviderType;
  preset: Preset | undefined;
  formats: Format[];
  locationId: string;
  onLocation: (id: string) => void;
  onBack: () => void;
  onCreated: (provider: Provider) => void;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const locations = useLocations();
  const usable = useMemo(() => formats.filter((format) => format.type === type || format.type === "any"), [formats, type]);
  const [name, setName] = useState(preset?.name ?? "");
  const [apiFormat, setApiFormat] = useState(preset?.apiFormat ?? usable[0]?.id ?? "");
  const [baseUrl, setBaseUrl] = useState(preset?.baseUrl.production ?? "");
  const [sandboxBaseUrl, setSandboxBaseUrl] = useState(preset?.baseUrl.sandbox ?? "");
  const [testMode, setTestMode] = useState(true);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const fields = formats.find((format) => format.id === apiFormat)?.secrets ?? [];
  const create = useMutation({
    mutationFn: () =>
      api.post<Provider>("/api/admin/providers", {
        type,
        name,
        apiFormat,
        presetId: preset?.id,
        baseUrl: baseUrl || undefined,
        sandboxBaseUrl: sandboxBaseUrl || undefined,
        testMode,
        locationId: locationId || undefined,
        secrets: Object.fromEntries(Object.entries(secrets).filter(([, value]) => value !== "")),
      }),
    onSuccess: (provider) => {
      // The secrets were sealed by the hub: forget them here, they are never shown again.
      setSecrets({});
      void queryClient.invalidateQueries({ queryKey: ["providers"] });
      onCreated(provider);
    },
  });
  return (
    <SubmitForm onSubmit={() => create.mutate()}>
      <p className="muted">
        {preset ? t("wizard.fromPreset", { name: preset.name, vendor: preset.vendor }) : t("wizard.customIntro")}{" "}
        {preset ? (
          <a href={preset.docsUrl} target="_blank" rel="noreferrer noopener">
            {t("wizard.docs")}
          </a>
        ) : null}
      </p>
      <Field label={t("wizard.name")} value={name} onChange={setName} isRequired description={t("wizard.nameHint")} />
      {preset ? null : (
        <SelectField
          label={t("wizard.format")}
          options={usable.map((format) => ({ id: format.id, label: `${format.id} — ${format.description}` }))}
          value={apiFormat}
          onChange={setApiFormat}
        />
      )}
      <Field label={t("wizard.baseUrl")} type="url" value={baseUrl} onChange={setBaseUrl} isRequired description={preset ? t("wizard.baseUrlPresetHint") : undefined} />
      <Field label={t("wizard.sandboxBaseUrl")} type="url" value={sandboxBaseUrl} onChange={setSandboxBaseUrl} description={t("wizard.sandboxHint")} />
      {(locations.data?.items.length ?? 0) > 0 ? (
        <SelectField
          label={t("wizard.scope")}
          options={locationOptions(t, locations.data?.items)}
          value={locationId}
          onChange={onLocation}
          description={t("wizard.scopeHint")}
        />
      ) : null}
      <Toggle label={t("wizard.testMode")} isSelected={testMode} onChange={setTestMode} />
      <fieldset className="fieldset">
        <legend>{t("wizard.credentials")}</legend>
        <p className="muted small">{t("wizard.credentialsHint")}</p>
        {fields.length === 0 ? <p className="muted small">{t("wizard.noSecrets")}</p> : null}
        <SecretInputs fields={fields} values={secrets} setValues={setSecrets} />
      </fieldset>
      <InlineError error={create.error} />
      <div className="form-actions">
        <Button onPress={onBack}>{t("common.back")}</Button>
        <Button type="submit" variant="primary" isDisabled={create.isPending}>
          {create.isPending ? t("common.saving") : t("wizard.save")}
        </Button>
      </div>
    </SubmitForm>
  );
}

function TestStep({ provider, formats, onUpdated, onNext }: { provider: Provider; formats: Format[]; onUpdated: (provider: Provider) => void; onNext: () => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [fixing, setFixing] = useState(false);
  const [baseUrl, setBaseUrl] = useState(provider.baseUrl);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const fields = formats.find((format) => format.id === provider.apiFormat)?.secrets ?? [];
  const test = useMutation({
    mutationFn: () => api.post<LastTest>(`/api/admin/providers/${provider.id}/test`),
    onSuccess: (result) => {
      onUpdated({ ...provider, lastTest: result });
      void queryClient.invalidateQueries({ queryKey: ["providers"] });
    },
  });
  const update = useMutation({
    mutationFn: () => {
      const changed = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value !== ""));
      return api.patch<Provider>(`/api/admin/providers/${provider.id}`, { baseUrl, ...(Object.keys(changed).length > 0 ? { secrets: changed } : {}) });
    },
    onSuccess: (updated) => {
      setSecrets({});
      setFixing(false);
      onUpdated(updated);
      test.mutate();
    },
  });
  const result = test.data;
  return (
    <div className="form">
      <p>
        {t("wizard.saved", { name: provider.name })} <Badge tone="ok">{t("wizard.savedBadge")}</Badge>
      </p>
      <dl className="facts">
        <dt>{t("wizard.format")}</dt>
        <dd>
          <code>{provider.apiFormat}</code>
        </dd>
        <dt>{t("wizard.baseUrl")}</dt>
        <dd>
          <code>{provider.testMode && provider.sandboxBaseUrl ? provider.sandboxBaseUrl : provider.baseUrl}</code>
          {provider.testMode ? <Badge tone="warn">{t("provider.testMode")}</Badge> : null}
        </dd>
        <dt>{t("provider.secrets")}</dt>
        <dd>
          {Object.entries(provider.secrets).length === 0
            ? "—"
            : Object.entries(provider.secrets).map(([name, hint]) => (
                <span key={name} className="secret-hint">
                  {name}: <code>{hint}</code>
                </span>
              ))}
        </dd>
      </dl>
      <div className="form-actions">
        <Button variant="primary" onPress={() => test.mutate()} isDisabled={test.isPending || update.isPending}>
          {test.isPending ? t("provider.testing") : t("wizard.testNow")}
        </Button>
      </div>
      <div aria-live="polite" className="test-result-region">
        {test.isPending ? <Loading label={t("provider.testing")} /> : null}
        {result ? (
          <div className={`test-result ${result.status === "ok" ? "test-result-ok" : "test-result-failed"}`} role="status" data-status={result.status}>
            <p className="test-result-title">{result.status === "ok" ? `✓ ${t("wizard.testOk")}` : `✗ ${t("wizard.testFailed")}`}</p>
            {result.message ? <p>{result.message.replace(/^[✓✗]\s*/, "")}</p> : null}
            {result.latencyMs !== undefined ? <p className="muted small">{t("wizard.latency", { ms: result.latencyMs })}</p> : null}
          </div>
        ) : provider.lastTest.status !== "never" ? (
          <p className="small">
            <LastTestLine test={provider.lastTest} />
          </p>
        ) : null}
        <InlineError error={test.error} />
      </div>
      {result?.status === "failed" || fixing ? (
        fixing ? (
          <SubmitForm className="form fix-form" onSubmit={() => update.mutate()}>
            <Field label={t("wizard.baseUrl")} type="url" value={baseUrl} onChange={setBaseUrl} isRequired />
            <SecretInputs fields={fields} values={secrets} setValues={setSecrets} stored={provider.secrets} />
            <InlineError error={update.error} />
            <SubmitActions className="form-actions" onCancel={() => setFixing(false)} submitLabel={t("wizard.saveAndRetest")} pending={update.isPending} />
          </SubmitForm>
        ) : (
          <Button onPress={() => setFixing(true)}>{t("wizard.fix")}</Button>
        )
      ) : null}
      <div className="form-actions">
        <Button variant={result?.status === "ok" ? "primary" : "secondary"} onPress={onNext}>
          {result?.status === "ok" ? t("common.continue") : t("wizard.skipTest")}
        </Button>
      </div>
    </div>
  );
}

function MapStep({ provider, locationId }: { provider: Provider; locationId: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const suggestions = suggestedFeatures(provider.type, provider.slug);
  const [featureKey, setFeatureKey] = useState(suggestions[0] ?? "");
  const [role, setRole] = useState<"primary" | "fallback">("primary");
  const scope = provider.locationId ?? locationId;
  const features = useQuery({
    queryKey: ["features", scope],
    queryFn: ({ signal }) => api.get<Features>(`/api/admin/features${qs({ locationId: scope })}`, signal),
  });
  const existing = features.data?.effective.find((mapping) => mapping.featureKey === featureKey);
  const map = useMutation({
    mutationFn: () => {
      const mapping =
        role === "primary"
          ? { featureKey, primaryProviderId: provider.id, fallbackProviderId: existing && existing.primaryProviderId !== provider.id ? undefined : existing?.fallbackProviderId }
          : { featureKey, primaryProviderId: existing?.primaryProviderId ?? provider.id, fallbackProviderId: provider.id };
      return api.put<{ items: unknown[] }>("/api/admin/features", { locationId: scope || undefined, mappings: [mapping] });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["features"] }),
  });
  return (
    <div className="form">
      <SubmitForm onSubmit={() => map.mutate()}>
        <Field label={t("wizard.featureKey")} value={featureKey} onChange={setFeatureKey} isRequired description={t("wizard.featureKeyHint")} />
        <div className="chips" role="group" aria-label={t("wizard.suggestions")}>
          {suggestions.map((suggestion) => (
            <Button key={suggestion} small variant="ghost" onPress={() => setFeatureKey(suggestion)} aria-pressed={featureKey === suggestion}>
              {suggestion}
            </Button>
          ))}
        </div>
        <RadioGroup className="radio-row" value={role} onChange={(value) => setRole(value as "primary" | "fallback")}>
          <Label className="field-label">{t("wizard.role")}</Label>
          <Radio value="primary" className="radio">
            {t("features.primary")}
          </Radio>
          <Radio value="fallback" className="radio" isDisabled={!existing || existing.primaryProviderId === provider.id}>
            {t("wizard.fallbackOption")}
          </Radio>
        </RadioGroup>
        {existing && existing.primaryProviderId !== provider.id ? <p className="muted small">{t("wizard.alreadyMapped")}</p> : null}
        <InlineError error={map.error ?? features.error} />
        {map.isSuccess ? (
          <p className="notice notice-ok" role="status">
            ✓ {t("wizard.mapped", { feature: featureKey })}
          </p>
        ) : null}
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={map.isPending || !featureKey}>
            {map.isPending ? t("common.saving") : t("wizard.map")}
          </Button>
        </div>
      </SubmitForm>
      <WebhookUrl url={provider.webhookUrl} />
      <div className="form-actions">
        <Button variant={map.isSuccess ? "primary" : "secondary"} onPress={() => navigate(`/integrations${qs({ type: provider.type })}`)}>
          {t("wizard.finish")}
        </Button>
      </div>
    </div>
  );
}
