import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { InvalidInputError, NotFoundError } from "../error.ts";
import type { Ports } from "../port.ts";
import { getLocation } from "../tenant/index.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { featureSk, providerPk, providerSk, TENANT_SCOPE } from "./keys.ts";
import { Provider } from "./record.ts";

/** `payment.booking`, `notify.sms`, `ota.booking_com`: a domain and one or more names. */
export const FeatureKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, "feature keys look like payment.booking or notify.sms");

export const Mapping = z.object({
  featureKey: FeatureKey,
  /** "tenant" for the whole business, else a location id. */
  scope: z.string(),
  primaryProviderId: z.string(),
  fallbackProviderId: z.string().optional(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type Mapping = z.infer<typeof Mapping>;

export const PutFeatures = z.object({
  locationId: z.string().optional(),
  mappings: z
    .array(
      z.object({
        featureKey: FeatureKey,
        /** null removes the mapping at this scope (a location then inherits again). */
        primaryProviderId: z.string().nullable(),
        fallbackProviderId: z.string().nullable().optional(),
      }),
    )
    .min(1)
    .max(200),
});

export class NoProviderMappedError extends InvalidInputError {
  constructor(featureKey: string) {
    super(`no provider mapped for feature ${featureKey}: map one under Integrations → Features`);
  }
}

async function scopeMappings(ports: Ports, tenantId: string, scope: string): Promise<Mapping[]> {
  const page = await ports.store.query(providerPk(tenantId), { prefix: `FEATURE#${scope}#`, limit: 1000 });
  return page.items.map((item) => Mapping.parse(item.data));
}

async function allMappings(ports: Ports, tenantId: string): Promise<Mapping[]> {
  const page = await ports.store.query(providerPk(tenantId), { prefix: "FEATURE#", limit: 1000 });
  return page.items.map((item) => Mapping.parse(item.data));
}

/** The mappings at the tenant and (optionally) a location, plus what the location effectively uses. */
export async function get(ports: Ports, tenantId: string, locationId?: string) {
  const tenant = await scopeMappings(ports, tenantId, TENANT_SCOPE);
  if (!locationId) return { tenant, location: [], effective: tenant.map((mapping) => ({ ...mapping, inherited: false })) };
  await getLocation(ports, tenantId, locationId);
  const location = await scopeMappings(ports, tenantId, locationId);
  const overridden = new Set(location.map((mapping) => mapping.featureKey));
  const effective = [
    ...location.map((mapping) => ({ ...mapping, inherited: false })),
    ...tenant.filter((mapping) => !overridden.has(mapping.featureKey)).map((mapping) => ({ ...mapping, inherited: true })),
  ].sort((a, b) => a.featureKey.localeCompare(b.featureKey));
  return { tenant, location, effective };
}

async function usableProvider(ports: Ports, tenantId: string, providerId: string, scope: string, what: string): Promise<Provider> {
  const item = await ports.store.get(providerPk(tenantId), providerSk(providerId));
  if (!item) throw new NotFoundError(`${what} provider ${providerId}`);
  const provider = Provider.parse(item.data);
  if (provider.locationId && provider.locationId !== scope) {
    throw new InvalidInputError(`${what} provider ${provider.name} belongs to another location and cannot serve this one`);
  }
  return provider;
}

export async function put(ports: Ports, principal: Principal, input: z.input<typeof PutFeatures>): Promise<Mapping[]> {
  const parsed = PutFeatures.parse(input);
  const scope = parsed.locationId ?? TENANT_SCOPE;
  if (parsed.locationId) await getLocation(ports, principal.tenantId, parsed.locationId);
  const at = new Date(ports.clock.now()).toISOString();
  for (const change of parsed.mappings) {
    const sk = featureSk(scope, change.featureKey);
    if (change.primaryProviderId === null) {
      await ports.store.delete(providerPk(principal.tenantId), sk);
      continue;
    }
    await usableProvider(ports, principal.tenantId, change.primaryProviderId, scope, "primary");
    if (change.fallbackProviderId) {
      if (change.fallbackProviderId === change.primaryProviderId) throw new InvalidInputError(`${change.featureKey}: the fallback must differ from the primary`);
      await usableProvider(ports, principal.tenantId, change.fallbackProviderId, scope, "fallback");
    }
    const mapping = Mapping.parse({
      featureKey: change.featureKey,
      scope,
      primaryProviderId: change.primaryProviderId,
      fallbackProviderId: change.fallbackProviderId ?? undefined,
      updatedBy: actorOf(principal),
      updatedAt: at,
    });
    await ports.store.put({ pk: providerPk(principal.tenantId), sk, data: mapping });
  }
  await Audit.record(ports, principal, {
    action: "features.mapped",
    target: scope,
    changed: parsed.mappings.map((mapping) => mapping.featureKey),
  });
  return scopeMappings(ports, principal.tenantId, scope);
}

/** Location mapping, else the tenant's, else a clear error. Inactive providers are skipped. */
export async function resolve(
  ports: Ports,
  tenantId: string,
  featureKey: string,
  locationId?: string,
): Promise<{ mapping: Mapping; primary: Provider; fallback?: Provider }> {
  const key = FeatureKey.parse(featureKey);
  const candidates = [locationId, TENANT_SCOPE].filter((scope): scope is string => Boolean(scope));
  for (const scope of candidates) {
    const item = await ports.store.get(providerPk(tenantId), featureSk(scope, key));
    if (!item) continue;
    const mapping = Mapping.parse(item.data);
    const load = async (id: string | undefined) => {
      if (!id) return undefined;
      const found = await ports.store.get(providerPk(tenantId), providerSk(id));
      const provider = found ? Provider.parse(found.data) : undefined;
      return provider?.active ? provider : undefined;
    };
    const [primary, fallback] = await Promise.all([load(mapping.primaryProviderId), load(mapping.fallbackProviderId)]);
    const first = primary ?? fallback;
    if (!first) throw new InvalidInputError(`feature ${key} is mapped, but its providers are inactive or deleted`);
    return { mapping, primary: first, fallback: primary ? fallback : undefined };
  }
  throw new NoProviderMappedError(key);
}

/** The mappings that name a provider, for the "can't delete" message. */
export async function mappingsUsing(ports: Ports, tenantId: string, providerId: string) {
  return (await allMappings(ports, tenantId)).flatMap((mapping) => [
    ...(mapping.primaryProviderId === providerId ? [{ featureKey: mapping.featureKey, scope: mapping.scope, role: "primary" as const }] : []),
    ...(mapping.fallbackProviderId === providerId ? [{ featureKey: mapping.featureKey, scope: mapping.scope, role: "fallback" as const }] : []),
  ]);
}
