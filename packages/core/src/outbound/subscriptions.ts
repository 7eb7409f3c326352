import { createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { NotFoundError } from "../error.ts";
import { subscribableTypes } from "../event/describe.ts";
import { create as createEvent } from "../event/index.ts";
import { emit } from "../event/publish.ts";
import { ConditionFailedError, type EncryptionContext, type Item, type Ports } from "../port.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { healthSk, outPk, SUBSCRIPTION_PREFIX, subscriptionSk } from "./keys.ts";
import { Subscription, SubscriptionHealth, type StoredSecret, type SubscriptionView } from "./model.ts";
import { generateSecret, secretKey } from "./signing.ts";
import { assertPublicUrl } from "./url-safety.ts";
import { TenantViewCache } from "../tenant-view-cache.ts";

const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

// ------------------------------------------------------------------ event type patterns

const CATALOG_HINT = "GET /api/admin/events/catalog lists the types";

/** Why a subscription pattern is not acceptable, or undefined: an exact subscribable type, `family.*`, or `*`. */
export function patternProblem(pattern: string): string | undefined {
  const types = subscribableTypes();
  if (pattern === "*") return undefined;
  if (pattern.endsWith(".*")) {
    const family = pattern.slice(0, -1);
    if (family.length > 1 && !family.slice(0, -1).includes("*") && types.some((type) => type.startsWith(family))) return undefined;
    return `no event type matches "${pattern}"; ${CATALOG_HINT}`;
  }
  if (pattern.includes("*")) return `"${pattern}": a wildcard is a whole family, like payment.*, or * for everything`;
  if (!types.includes(pattern)) return `unknown event type "${pattern}"; ${CATALOG_HINT}`;
  return undefined;
}

export function matches(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => pattern === "*" || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))));
}

const EventPatterns = z
  .array(z.string().trim().min(1).max(120))
  .min(1)
  .max(100)
  .superRefine((patterns, ctx) => {
    patterns.forEach((pattern, index) => {
      const problem = patternProblem(pattern);
      if (problem) ctx.addIssue({ code: "custom", path: [index], message: problem });
    });
  })
  .transform((patterns) => [...new Set(patterns)]);

// ------------------------------------------------------------------ inputs

export const CreateSubscription = z.object({
  url: z.string().trim().min(1).max(2000),
  eventTypes: EventPatterns,
  description: z.string().trim().max(500).optional(),
  active: z.boolean().default(true),
  /** Sends per second at most; deliveries over it wait for their slot, none is dropped. */
  rateLimitPerSecond: z.number().int().min(1).max(10_000).optional(),
  /** Deliver one at a time in event order: the next waits until the previous succeeded or died. */
  ordered: z.boolean().default(false),
});
export type CreateSubscription = z.input<typeof CreateSubscription>;

export const UpdateSubscription = z
  .object({
    url: z.string().trim().min(1).max(2000).optional(),
    eventTypes: EventPatterns.optional(),
    /** null clears it. */
    description: z.string().trim().max(500).nullable().optional(),
    active: z.boolean().optional(),
    /** null removes the limit. */
    rateLimitPerSecond: z.number().int().min(1).max(10_000).nullable().optional(),
    ordered: z.boolean().optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), { message: "send at least one field to change" });
export type UpdateSubscription = z.input<typeof UpdateSubscription>;

export const RotateSecret = z.object({
  /** How long the replaced secret keeps signing next to the new one (0 = stop at once). */
  overlapHours: z.number().min(0).max(168).default(24),
});
export type RotateSecret = z.input<typeof RotateSecret>;

// ------------------------------------------------------------------ secrets

const context = (subscription: Pick<Subscription, "tenantId" | "id">): EncryptionContext => ({
  tenantId: subscription.tenantId,
  subscriptionId: subscription.id,
});

async function sealSecret(ports: Ports, subscription: Pick<Subscription, "tenantId" | "id">, secret: string): Promise<StoredSecret> {
  return { sealed: await ports.keyring.seal(secret, context(subscription)), last4: secret.slice(-4), createdAt: iso(ports) };
}

/** Opened signing keys, by sealed value: a KMS decrypt per delivery would cost more than the delivery. */
const openedKeys = new Map<string, KeyObject>();
const MAX_OPENED = 5000;

function live(secrets: StoredSecret[], now: number): StoredSecret[] {
  return secrets.filter((secret, index) => index === 0 || (secret.expiresAt !== undefined && Date.parse(secret.expiresAt) > now));
}

/** The keys a delivery is signed with now: the current secret, and rotated-out ones still inside their overlap. */
export async function signingKeys(ports: Ports, subscription: Subscription): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  for (const secret of live(subscription.secrets, ports.clock.now())) {
    const cacheKey = `${subscription.id}:${secret.sealed.iv}:${secret.sealed.tag}`;
    let key = openedKeys.get(cacheKey);
    if (!key) {
      key = createSecretKey(secretKey(await ports.keyring.open(secret.sealed, context(subscription))));
      if (openedKeys.size >= MAX_OPENED) openedKeys.clear();
      openedKeys.set(cacheKey, key);
    }
    keys.push(key);
  }
  return keys;
}

// ------------------------------------------------------------------ views

const masked = (secret: StoredSecret) => `••••${secret.last4}`;

function view(subscription: Subscription, health: SubscriptionHealth | undefined, now: number): SubscriptionView {
  const [current, ...previous] = live(subscription.secrets, now);
  return {
    id: subscription.id,
    url: subscription.url,
    eventTypes: subscription.eventTypes,
    description: subscription.description,
    active: subscription.active,
    rateLimitPerSecond: subscription.rateLimitPerSecond,
    ordered: subscription.ordered,
    secret: current ? masked(current) : "••••",
    previousSecrets: previous.map((secret) => ({ secret: masked(secret), expiresAt: secret.expiresAt ?? "" })),
    disabledAt: subscription.disabledAt,
    disabledReason: subscription.disabledReason,
    failingSince: health?.failingSince,
    createdBy: subscription.createdBy,
    createdAt: subscription.createdAt,
    updatedAt: subscription.updatedAt,
  };
}

async function health(ports: Ports, tenantId: string, subscriptionId: string): Promise<{ item?: Item; health?: SubscriptionHealth }> {
  const item = await ports.store.get(outPk(tenantId), healthSk(subscriptionId));
  return item ? { item, health: SubscriptionHealth.parse(item.data) } : {};
}

// ------------------------------------------------------------------ reads

/** The stored subscription (with sealed secrets), or undefined; only within the tenant. */
export async function load(ports: Ports, tenantId: string, id: string): Promise<{ item: Item; subscription: Subscription } | undefined> {
  const item = await ports.store.get(outPk(tenantId), subscriptionSk(id));
  return item ? { item, subscription: Subscription.parse(item.data) } : undefined;
}

async function loadOrThrow(ports: Ports, tenantId: string, id: string) {
  const found = await load(ports, tenantId, id);
  // Another tenant's id is "not found": its existence is not revealed.
  if (!found) throw new NotFoundError(`subscription ${id}`);
  return found;
}

/** Every subscription of the tenant, as stored (the delivery fan-out reads this). */
export async function loadAll(ports: Ports, tenantId: string): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(outPk(tenantId), { prefix: SUBSCRIPTION_PREFIX, cursor, limit: 1000 });
    subscriptions.push(...page.items.map((item) => Subscription.parse(item.data)));
    cursor = page.cursor;
  } while (cursor);
  return subscriptions;
}

/** The fan-out's view of a tenant's subscriptions, shared for a second. */
const fanoutCache = new TenantViewCache<Subscription[]>(1000);

export function forFanOut(ports: Ports, tenantId: string): Promise<Subscription[]> {
  return fanoutCache.get(ports, tenantId, () => loadAll(ports, tenantId));
}

function changed(ports: Ports, tenantId: string): void {
  fanoutCache.drop(ports, tenantId);
}

export async function get(ports: Ports, tenantId: string, id: string): Promise<SubscriptionView> {
  const { subscription } = await loadOrThrow(ports, tenantId, id);
  return view(subscription, (await health(ports, tenantId, id)).health, ports.clock.now());
}

export async function list(ports: Ports, tenantId: string): Promise<SubscriptionView[]> {
  const all = await loadAll(ports, tenantId);
  const now = ports.clock.now();
  return Promise.all(all.map(async (subscription) => view(subscription, (await health(ports, tenantId, subscription.id)).health, now)));
}

// ------------------------------------------------------------------ changes

/** Creates a subscription; the signing secret is in the answer this once and never again. */
export async function create(ports: Ports, principal: Principal, input: CreateSubscription): Promise<{ subscription: SubscriptionView; secret: string }> {
  const parsed = CreateSubscription.parse(input);
  await assertPublicUrl(parsed.url, { config: ports.config });
  const now = iso(ports);
  const id = `sub_${randomUUID()}`;
  const secret = generateSecret();
  const subscription = Subscription.parse({
    id,
    tenantId: principal.tenantId,
    url: parsed.url,
    eventTypes: parsed.eventTypes,
    description: parsed.description,
    active: parsed.active,
    rateLimitPerSecond: parsed.rateLimitPerSecond,
    ordered: parsed.ordered,
    secrets: [await sealSecret(ports, { tenantId: principal.tenantId, id }, secret)],
    createdBy: actorOf(principal),
    createdAt: now,
    updatedAt: now,
  });
  await ports.store.put({ pk: outPk(subscription.tenantId), sk: subscriptionSk(id), data: subscription }, { ifNotExists: true });
  changed(ports, subscription.tenantId);
  await Audit.record(ports, principal, {
    action: "subscription.created",
    target: id,
    changed: ["url", "eventTypes", "description", "active", "rateLimitPerSecond", "ordered", "secret"],
  });
  return { subscription: view(subscription, undefined, ports.clock.now()), secret };
}

/** Read-modify-write on the subscription's version, retried when it changed underneath. */
async function change(
  ports: Ports,
  tenantId: string,
  id: string,
  fn: (subscription: Subscription) => Promise<Subscription | undefined> | Subscription | undefined,
): Promise<{ before: Subscription; after: Subscription; changed: boolean }> {
  for (;;) {
    const { item, subscription } = await loadOrThrow(ports, tenantId, id);
    const next = await fn(subscription);
    if (!next) return { before: subscription, after: subscription, changed: false };
    try {
      await ports.store.put({ ...item, data: { ...next, updatedAt: iso(ports) } }, { ifVersion: item.version });
      changed(ports, tenantId);
      return { before: subscription, after: { ...next, updatedAt: iso(ports) }, changed: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

export async function update(ports: Ports, principal: Principal, id: string, input: UpdateSubscription): Promise<SubscriptionView> {
  const patch = UpdateSubscription.parse(input);
  if (patch.url !== undefined) await assertPublicUrl(patch.url, { config: ports.config });
  const changedFields: string[] = [];
  const { after } = await change(ports, principal.tenantId, id, (current) => {
    changedFields.length = 0;
    const next: Subscription = { ...current };
    if (patch.url !== undefined) next.url = patch.url;
    if (patch.eventTypes !== undefined) next.eventTypes = patch.eventTypes;
    if (patch.description !== undefined) next.description = patch.description ?? undefined;
    if (patch.rateLimitPerSecond !== undefined) next.rateLimitPerSecond = patch.rateLimitPerSecond ?? undefined;
    if (patch.ordered !== undefined) next.ordered = patch.ordered;
    if (patch.active !== undefined) {
      next.active = patch.active;
      if (patch.active) {
        next.disabledAt = undefined;
        next.disabledReason = undefined;
      }
    }
    for (const key of ["url", "eventTypes", "description", "active", "rateLimitPerSecond", "ordered", "disabledAt"] as const) {
      if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) changedFields.push(key);
    }
    return changedFields.length > 0 ? next : undefined;
  });
  if (changedFields.length > 0) {
    // Turned back on: the failure streak that may have disabled it starts again.
    if (changedFields.includes("active") && after.active) await ports.store.delete(outPk(after.tenantId), healthSk(id));
    await Audit.record(ports, principal, { action: "subscription.updated", target: id, changed: changedFields });
  }
  return view(after, (await health(ports, after.tenantId, id)).health, ports.clock.now());
}

export async function remove(ports: Ports, principal: Principal, id: string): Promise<void> {
  const { item } = await loadOrThrow(ports, principal.tenantId, id);
  await ports.store.delete(item.pk, item.sk);
  changed(ports, principal.tenantId);
  await ports.store.delete(outPk(principal.tenantId), healthSk(id));
  await Audit.record(ports, principal, { action: "subscription.deleted", target: id, changed: ["*"] });
}

/**
 * A new signing secret, returned this once. For `overlapHours` the replaced one
 * keeps signing too (two `v1,` signatures), so receivers can switch without a gap.
 */
export async function rotateSecret(
  ports: Ports,
  principal: Principal,
  id: string,
  input: RotateSecret = {},
): Promise<{ subscription: SubscriptionView; secret: string }> {
  const { overlapHours } = RotateSecret.parse(input);
  const secret = generateSecret();
  const now = ports.clock.now();
  const { after } = await change(ports, principal.tenantId, id, async (current) => {
    const fresh = await sealSecret(ports, current, secret);
    const [previous, ...older] = live(current.secrets, now);
    const kept: StoredSecret[] = [];
    if (previous && overlapHours > 0) kept.push({ ...previous, expiresAt: new Date(now + overlapHours * 3_600_000).toISOString() });
    if (overlapHours > 0) kept.push(...older);
    return { ...current, secrets: [fresh, ...kept.slice(0, 2)] };
  });
  await Audit.record(ports, principal, { action: "subscription.secret_rotated", target: id, changed: ["secret"] });
  return { subscription: view(after, (await health(ports, principal.tenantId, id)).health, ports.clock.now()), secret };
}

/**
 * The hub turns a subscription off (410 Gone, or a day of failures): audited as
 * the system, and `subscription.disabled` is raised for the owner's other
 * subscribers. Raised once per disabling, whoever gets there first.
 */
export async function disable(ports: Ports, tenantId: string, id: string, reason: string): Promise<boolean> {
  const found = await load(ports, tenantId, id);
  if (!found || !found.subscription.active) return false;
  const disabledAt = iso(ports);
  // The event record goes first: a crash between it and the switch leaves an event
  // about to come true, never a disabled subscription nobody heard of.
  const envelope = createEvent({
    type: "subscription.disabled",
    tenantId,
    id: `evt_subdisabled_${id}_v${found.item.version ?? 0}`,
    occurredAt: new Date(ports.clock.now()),
    data: { subscriptionId: id, url: found.subscription.url, reason },
  });
  await emit(ports, envelope, { raisedBy: "outbound" });
  let switched = false;
  try {
    await change(ports, tenantId, id, (current) => {
      if (!current.active) return undefined;
      switched = true;
      return { ...current, active: false, disabledAt, disabledReason: reason };
    });
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
  if (switched) {
    await Audit.record(ports, { tenantId, system: "outbound" }, { action: "subscription.disabled", target: id, changed: ["active", "disabledReason"] });
  }
  return switched;
}

// ------------------------------------------------------------------ delivery health

/** After every delivery has failed for this long, the subscription is disabled. */
export const FAILING_DISABLE_MS = 24 * 3_600_000;

/** Notes a delivery outcome; returns the time since when every delivery has failed (undefined after a success). */
export async function noteOutcome(ports: Ports, subscription: Subscription, ok: boolean): Promise<number | undefined> {
  const { item, health: current } = await health(ports, subscription.tenantId, subscription.id);
  const now = iso(ports);
  if (ok) {
    // Only a streak ending is written, so a healthy subscription costs a read per delivery.
    if (current?.failingSince) {
      await ports.store.put({ pk: outPk(subscription.tenantId), sk: healthSk(subscription.id), data: { lastSuccessAt: now } });
    }
    return undefined;
  }
  if (current?.failingSince) return Date.parse(current.failingSince);
  try {
    await ports.store.put(
      { pk: outPk(subscription.tenantId), sk: healthSk(subscription.id), data: { ...current, failingSince: now, lastFailureAt: now } },
      item ? { ifVersion: item.version } : { ifNotExists: true },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  return Date.parse(now);
}
