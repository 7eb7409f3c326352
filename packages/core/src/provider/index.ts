import { randomUUID } from "node:crypto";
import * as Audit from "../audit/index.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../error.ts";
import { formats, formatServes, type FormatSpec } from "../format/catalog.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import * as Preset from "../preset/index.ts";
import * as Secret from "../secret/box.ts";
import { getLocation } from "../tenant/index.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { mappingsUsing } from "./features.ts";
import { providerPk, providerSk, slugPk } from "./keys.ts";
import { CreateProvider, Provider, UpdateProvider, type LastTest, type ProviderView } from "./record.ts";
import { warningsOf } from "./warnings.ts";

export { CreateProvider, Provider, UpdateProvider, type ProviderView } from "./record.ts";
export { ProviderType, Slug } from "./types.ts";

const now = (ports: Ports) => new Date(ports.clock.now()).toISOString();

/** The URL an owner pastes into the vendor's dashboard. */
export function webhookUrl(ports: Ports, provider: Pick<Provider, "type" | "slug">): string {
  return `${ports.config.publicUrl ?? ""}/webhook/${provider.type}/${provider.slug}`;
}

export function view(ports: Ports, provider: Provider): ProviderView {
  const { secretBox, ...rest } = provider;
  return { ...rest, secrets: secretBox?.hints ?? {}, webhookUrl: webhookUrl(ports, provider), warnings: warningsOf(provider) };
}

function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return base.length >= 2 ? base : `provider-${base}`;
}

function missingSecrets(format: FormatSpec, secrets: Record<string, string>): string[] {
  return format.secrets.filter((field) => !("optional" in field && field.optional) && !secrets[field.name]).map((field) => field.name);
}

function context(tenantId: string, providerId: string) {
  return { tenant: tenantId, record: `provider:${providerId}` };
}

async function claimSlug(ports: Ports, slug: string, tenantId: string, providerId: string, explicit: boolean): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const candidate = attempt === 0 ? slug : `${slug}-${attempt + 1}`;
    try {
      await ports.store.put({ pk: slugPk(candidate), sk: "LOOKUP", data: { tenantId, providerId } }, { ifNotExists: true });
      return candidate;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      if (explicit) throw new ConflictError(`the slug "${slug}" is taken; choose another`);
    }
  }
  throw new ConflictError(`no free slug near "${slug}"; choose one`);
}

export async function create(ports: Ports, principal: Principal, input: CreateProvider): Promise<ProviderView> {
  let parsed = CreateProvider.parse(input);
  if (parsed.presetId) {
    // Presets only pre-fill: their values are copied now and never read again.
    const preset = await Preset.get(parsed.presetId);
    if (!preset) throw new InvalidInputError(`there is no preset "${parsed.presetId}"`);
    if (preset.type !== parsed.type) throw new InvalidInputError(`preset "${preset.id}" is for ${preset.type} providers, not ${parsed.type}`);
    parsed = CreateProvider.parse({
      ...input,
      apiFormat: input.apiFormat ?? preset.apiFormat,
      baseUrl: input.baseUrl ?? preset.baseUrl.production,
      sandboxBaseUrl: input.sandboxBaseUrl ?? preset.baseUrl.sandbox,
      headers: { ...preset.headers, ...input.headers },
      config: { auth: preset.auth, signature: preset.signature, ...preset.config, ...input.config },
      capabilities: input.capabilities ?? preset.capabilities,
    });
  }
  if (!parsed.apiFormat) throw new InvalidInputError("apiFormat: choose the provider's API format (or pick a preset)");
  if (!parsed.baseUrl) throw new InvalidInputError("baseUrl: give the provider's API base URL (or pick a preset)");
  const apiFormat = parsed.apiFormat;
  const format = formats[apiFormat] as FormatSpec;
  if (!formatServes(apiFormat, parsed.type)) {
    throw new InvalidInputError(`format ${apiFormat} is for ${format.type} providers, not ${parsed.type}`);
  }
  const missing = missingSecrets(format, parsed.secrets);
  if (missing.length > 0) throw new InvalidInputError(`secrets: ${apiFormat} needs ${missing.join(", ")}`, { missing });
  if (parsed.locationId) await getLocation(ports, principal.tenantId, parsed.locationId);

  const id = `prv_${randomUUID()}`;
  const slug = await claimSlug(ports, parsed.slug ?? slugify(parsed.name), principal.tenantId, id, parsed.slug !== undefined);
  const at = now(ports);
  const actor = actorOf(principal);
  const secretBox = Object.keys(parsed.secrets).length > 0 ? await Secret.seal(ports, parsed.secrets, context(principal.tenantId, id)) : undefined;
  const provider = Provider.parse({
    id,
    tenantId: principal.tenantId,
    locationId: parsed.locationId,
    type: parsed.type,
    name: parsed.name,
    slug,
    apiFormat,
    baseUrl: parsed.baseUrl,
    sandboxBaseUrl: parsed.sandboxBaseUrl,
    testMode: parsed.testMode,
    secretBox,
    headers: parsed.headers,
    config: parsed.config,
    capabilities: parsed.capabilities,
    active: parsed.active,
    isDefault: parsed.isDefault,
    displayOrder: parsed.displayOrder,
    lastTest: { status: "never" },
    notes: parsed.notes,
    presetId: parsed.presetId,
    createdBy: actor,
    createdAt: at,
    updatedBy: actor,
    updatedAt: at,
  });
  await ports.store.put({ pk: providerPk(provider.tenantId), sk: providerSk(id), ...(secretBox ? Secret.sealedIndex(secretBox) : {}), data: provider }, { ifNotExists: true });
  await Audit.record(ports, principal, {
    action: "provider.created",
    target: id,
    changed: Object.keys(parsed).filter((key) => key !== "secrets").concat(Object.keys(parsed.secrets).map((name) => `secrets.${name}`)),
  });
  return view(ports, provider);
}

async function load(ports: Ports, tenantId: string, providerId: string): Promise<{ item: Item; provider: Provider }> {
  const item = await ports.store.get(providerPk(tenantId), providerSk(providerId));
  if (!item) throw new NotFoundError(`provider ${providerId}`);
  return { item, provider: Provider.parse(item.data) };
}

/** A provider of the tenant (any scope); another tenant's id is "not found". */
export async function get(ports: Ports, tenantId: string, providerId: string): Promise<Provider> {
  return (await load(ports, tenantId, providerId)).provider;
}

export async function findBySlug(ports: Ports, slug: string): Promise<Provider | undefined> {
  const lookup = await ports.store.get(slugPk(slug), "LOOKUP");
  if (!lookup) return undefined;
  const tenantId = String(lookup.data.tenantId);
  const item = await ports.store.get(providerPk(tenantId), providerSk(String(lookup.data.providerId)));
  return item ? Provider.parse(item.data) : undefined;
}

/**
 * The tenant's providers. With a location: the tenant-wide ones it inherits plus its
 * own, each marked. Without: every provider of the tenant.
 */
export async function list(
  ports: Ports,
  tenantId: string,
  options: { type?: string; locationId?: string } = {},
): Promise<(Provider & { inherited: boolean })[]> {
  if (options.locationId) await getLocation(ports, tenantId, options.locationId);
  const found: Provider[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(providerPk(tenantId), { prefix: "PROVIDER#", cursor, limit: 500 });
    found.push(...page.items.map((item) => Provider.parse(item.data)));
    cursor = page.cursor;
  } while (cursor);
  return found
    .filter((provider) => !options.type || provider.type === options.type)
    .filter((provider) => !options.locationId || !provider.locationId || provider.locationId === options.locationId)
    .map((provider) => ({ ...provider, inherited: Boolean(options.locationId) && !provider.locationId }))
    .sort((a, b) => a.displayOrder - b.displayOrder || a.name.localeCompare(b.name));
}

export async function update(ports: Ports, principal: Principal, providerId: string, input: UpdateProvider): Promise<ProviderView> {
  const patch = UpdateProvider.parse(input);
  for (;;) {
    const { item, provider } = await load(ports, principal.tenantId, providerId);
    let secretBox = provider.secretBox;
    if (patch.secrets && Object.keys(patch.secrets).length > 0) {
      const current = secretBox ? await Secret.open(ports, secretBox) : {};
      secretBox = await Secret.seal(ports, { ...current, ...patch.secrets }, context(provider.tenantId, provider.id));
    }
    const { secrets: _secrets, sandboxBaseUrl, notes, ...plain } = patch;
    const next = Provider.parse({
      ...provider,
      ...plain,
      ...(sandboxBaseUrl !== undefined ? { sandboxBaseUrl: sandboxBaseUrl ?? undefined } : {}),
      ...(notes !== undefined ? { notes: notes ?? undefined } : {}),
      secretBox,
      updatedBy: actorOf(principal),
      updatedAt: now(ports),
    });
    try {
      await ports.store.put(
        { ...item, ...(secretBox ? Secret.sealedIndex(secretBox) : {}), data: next },
        { ifVersion: item.version },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    await Audit.record(ports, principal, {
      action: "provider.updated",
      target: providerId,
      changed: Object.keys(plain)
        .concat(sandboxBaseUrl !== undefined ? ["sandboxBaseUrl"] : [], notes !== undefined ? ["notes"] : [])
        .concat(Object.keys(patch.secrets ?? {}).map((name) => `secrets.${name}`)),
    });
    return view(ports, next);
  }
}

export async function remove(ports: Ports, principal: Principal, providerId: string): Promise<void> {
  const { item, provider } = await load(ports, principal.tenantId, providerId);
  const users = await mappingsUsing(ports, principal.tenantId, providerId);
  if (users.length > 0) {
    const words = users.map((mapping) => `${mapping.featureKey} (${mapping.scope === "tenant" ? "whole business" : `location ${mapping.scope}`}, ${mapping.role})`);
    throw new ConflictError(`${provider.name} is mapped to ${words.join("; ")}: change those mappings first`, { mappings: users });
  }
  await ports.store.delete(item.pk, item.sk, { ifVersion: item.version });
  await ports.store.delete(slugPk(provider.slug), "LOOKUP");
  await Audit.record(ports, principal, { action: "provider.deleted", target: providerId, changed: [] });
}

/** The provider's secrets in clear, for the format engine about to call it. Never return these. */
export async function secretsOf(ports: Ports, provider: Provider): Promise<Record<string, string>> {
  return provider.secretBox ? Secret.open(ports, provider.secretBox) : {};
}

/** The base URL for the provider's current mode. */
export function baseUrlOf(provider: Provider): string {
  return provider.testMode && provider.sandboxBaseUrl ? provider.sandboxBaseUrl : provider.baseUrl;
}

export async function recordTest(ports: Ports, tenantId: string, providerId: string, result: LastTest): Promise<Provider> {
  for (;;) {
    const { item, provider } = await load(ports, tenantId, providerId);
    const next = { ...provider, lastTest: result };
    try {
      await ports.store.put({ ...item, data: next }, { ifVersion: item.version });
      return next;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
