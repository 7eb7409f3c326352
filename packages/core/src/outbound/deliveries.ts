import * as Audit from "../audit/index.ts";
import { ConflictError, NotFoundError } from "../error.ts";
import type { Envelope } from "../event/envelope.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { deadIndexPk, deliveryIdFor, deliveryPk, openPk, orderKey } from "./keys.ts";
import { Delivery, type Attempt, type AttemptMessage, type DeliveryStatus, type DeliveryView, type Subscription } from "./model.ts";
import { takeSlot } from "./rate-limit.ts";
import { MAX_ATTEMPTS, queueDelaySeconds, retryDelaySeconds } from "./schedule.ts";
import { signatureHeader } from "./signing.ts";
import * as Subscriptions from "./subscriptions.ts";
import { assertPublicUrl } from "./url-safety.ts";

/**
 * Signed delivery of domain events to subscriptions, on the `deliver` queue.
 *
 * An event envelope fans out to one delivery record per matching subscription
 * (its id derives from event + subscription, so a redelivered envelope creates
 * nothing twice) and the first attempt runs at once. Every later attempt is a
 * queue message `{kind: "attempt", deliveryId, seq}`: the delivery's `seq` says
 * which message may act, so duplicates and leftovers drop out. An attempt claims
 * the delivery with a versioned write and a lease; the queue message in hand is
 * not deleted until the outcome is written, so a crash at any point leaves a
 * message that comes back and finishes the work.
 */

export const DELIVER_QUEUE = "deliver";
export const HTTP_TIMEOUT_MS = 15_000;
/** How long an attempt holds its delivery; beyond the HTTP timeout, so only a crashed worker's hold runs out. */
export const LEASE_MS = 30_000;
const RESPONSE_KEPT = 1024;
const ATTEMPTS_KEPT = 30;
const USER_AGENT = "Sambung-Webhooks/1";

const iso = (ms: number) => new Date(ms).toISOString();

interface Loaded {
  item: Item;
  delivery: Delivery;
}

function toItem(delivery: Delivery): Item {
  const item: Item = { pk: deliveryPk(delivery.tenantId), sk: delivery.id, data: delivery };
  // The secondary index holds exactly the dead deliveries, written with the status itself.
  if (delivery.status === "dead") {
    item.gsi1pk = deadIndexPk(delivery.tenantId);
    item.gsi1sk = delivery.id;
  }
  return item;
}

async function load(ports: Ports, tenantId: string, id: string): Promise<Loaded | undefined> {
  const item = await ports.store.get(deliveryPk(tenantId), id);
  return item ? { item, delivery: Delivery.parse(item.data) } : undefined;
}

async function save(ports: Ports, loaded: Loaded, next: Delivery): Promise<Loaded> {
  const item = await ports.store.put(toItem(next), { ifVersion: loaded.item.version });
  return { item, delivery: next };
}

const isFinal = (status: DeliveryStatus) => status === "delivered" || status === "dead";

async function sendMessage(ports: Ports, message: AttemptMessage, dueAt: number): Promise<void> {
  await ports.queue.send(DELIVER_QUEUE, [{ body: JSON.stringify(message), delaySeconds: queueDelaySeconds(dueAt, ports.clock.now()) }]);
}

// ------------------------------------------------------------------ fan-out

/** One delivery per active subscription matching the event; each gets its first attempt now. */
export async function fanOut(ports: Ports, envelope: Envelope): Promise<number> {
  const subscriptions = (await Subscriptions.forFanOut(ports, envelope.tenantId)).filter(
    (subscription) =>
      subscription.active &&
      Subscriptions.matches(subscription.eventTypes, envelope.type) &&
      // A subscription is not told about its own disabling (it is off by then anyway).
      !(envelope.type === "subscription.disabled" && envelope.data.subscriptionId === subscription.id),
  );
  await Promise.all(subscriptions.map((subscription) => start(ports, envelope, subscription)));
  return subscriptions.length;
}

function payload(envelope: Envelope): string {
  return JSON.stringify({
    type: envelope.type,
    id: envelope.id,
    occurredAt: envelope.occurredAt,
    ...(envelope.locationId ? { locationId: envelope.locationId } : {}),
    data: envelope.data,
  });
}

async function start(ports: Ports, envelope: Envelope, subscription: Subscription): Promise<void> {
  const now = ports.clock.now();
  const fresh = Delivery.parse({
    id: deliveryIdFor(envelope.tenantId, envelope.id, envelope.occurredAt, subscription.id),
    tenantId: envelope.tenantId,
    subscriptionId: subscription.id,
    eventId: envelope.id,
    eventType: envelope.type,
    occurredAt: envelope.occurredAt,
    body: payload(envelope),
    ordered: subscription.ordered,
    orderKey: orderKey(envelope.occurredAt, envelope.id),
    status: "pending",
    seq: 0,
    cycleAttempts: 0,
    nextAttemptAt: now,
    attempts: [],
    totalAttempts: 0,
    redrives: 0,
    createdAt: iso(now),
    updatedAt: iso(now),
  });
  // The common case (no order to keep, no rate limit) is created already claimed for its
  // first attempt, which saves a write per delivery; the rest go through `attempt`.
  const direct = !subscription.ordered && !subscription.rateLimitPerSecond;
  const first: Delivery = direct ? { ...fresh, status: "attempting", leaseUntil: now + LEASE_MS } : fresh;
  let loaded: Loaded | undefined;
  try {
    loaded = { item: await ports.store.put(toItem(first), { ifNotExists: true }), delivery: first };
    if (direct) {
      await settle(ports, loaded, subscription, await send(ports, first, subscription));
      return;
    }
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    // The envelope came again: carry on with the delivery it created before.
    loaded = await load(ports, fresh.tenantId, fresh.id);
    if (!loaded) return;
  }
  await attempt(ports, { kind: "attempt", tenantId: fresh.tenantId, deliveryId: fresh.id, seq: 0 }, loaded, subscription);
}

// ------------------------------------------------------------------ one attempt

export interface SendResult {
  ok: boolean;
  status?: number;
  latencyMs?: number;
  response?: string;
  error?: string;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return detail && !error.message.includes(detail) ? `${error.message}: ${detail}` : error.message;
}

/** The signed POST of one attempt; never throws for the receiver's sake, only for the hub's own failures. */
async function send(ports: Ports, delivery: Delivery, subscription: Subscription): Promise<SendResult> {
  try {
    await assertPublicUrl(subscription.url, { config: ports.config, subject: "the subscription's URL" });
  } catch (error) {
    return { ok: false, error: `not sent: ${describeError(error)}` };
  }
  const keys = await Subscriptions.signingKeys(ports, subscription);
  const timestamp = Math.floor(ports.clock.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": delivery.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader(keys, delivery.id, timestamp, delivery.body),
    "x-hotel-event": delivery.eventType,
    "x-hotel-idempotency-key": delivery.eventId,
  };
  const started = performance.now();
  try {
    const response = await ports.http.fetch({ url: subscription.url, method: "POST", headers, body: delivery.body, timeoutMs: HTTP_TIMEOUT_MS });
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      status: response.status,
      latencyMs: Math.round(response.latencyMs * 10) / 10,
      response: response.body.slice(0, RESPONSE_KEPT) || undefined,
      error: ok ? undefined : `the receiver answered ${response.status}`,
    };
  } catch (error) {
    return { ok: false, latencyMs: Math.round((performance.now() - started) * 10) / 10, error: describeError(error) };
  }
}

/**
 * Acts on an attempt message (or the fan-out's first attempt): sends when the
 * delivery is due, its subscription is on, it is first in line (ordered) and
 * within the rate limit; otherwise reschedules or drops the message as needed.
 */
export async function attempt(ports: Ports, message: AttemptMessage, preloaded?: Loaded, presubscription?: Subscription): Promise<void> {
  let known = preloaded;
  for (let round = 0; round < 10; round += 1) {
    const loaded = known ?? (await load(ports, message.tenantId, message.deliveryId));
    known = undefined;
    if (!loaded) return;
    const delivery = loaded.delivery;
    if (isFinal(delivery.status)) {
      // A crash may have come between the final write and letting the next one go.
      if (delivery.ordered) await releaseOrder(ports, delivery);
      return;
    }
    if (delivery.seq !== message.seq) return;
    const now = ports.clock.now();
    if (delivery.status === "attempting" && (delivery.leaseUntil ?? 0) > now) {
      // Another worker holds it (or held it and crashed): look again when its hold ends.
      await sendMessage(ports, message, delivery.leaseUntil ?? now);
      return;
    }
    if ((delivery.nextAttemptAt ?? 0) > now) {
      // Early: a chained wait longer than a queue delay allows, or a message received before its time.
      await sendMessage(ports, message, delivery.nextAttemptAt ?? now);
      return;
    }
    const subscription =
      presubscription ?? (await Subscriptions.load(ports, delivery.tenantId, delivery.subscriptionId))?.subscription;
    if (!subscription || !subscription.active) {
      const reason = !subscription
        ? "its subscription was deleted"
        : `its subscription is disabled${subscription.disabledReason ? ` (${subscription.disabledReason})` : ""}`;
      await finishUnsent(ports, loaded, reason);
      return;
    }
    if (delivery.ordered && !(await isFirstInLine(ports, delivery))) return; // the one ahead lets it go when it ends
    if (subscription.rateLimitPerSecond && !(message.slotAt !== undefined && message.slotAt <= now)) {
      const slot = await takeSlot(ports, subscription.id, subscription.rateLimitPerSecond);
      if (!slot.ok) {
        await sendMessage(ports, { ...message, slotAt: slot.at }, slot.at);
        return;
      }
    }
    let claimed: Loaded;
    try {
      claimed = await save(ports, loaded, { ...delivery, status: "attempting", leaseUntil: now + LEASE_MS, updatedAt: iso(now) });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      continue;
    }
    const result = await send(ports, claimed.delivery, subscription);
    await settle(ports, claimed, subscription, result);
    return;
  }
}

/** Writes the outcome of a claimed attempt and schedules what follows. */
async function settle(ports: Ports, claimed: Loaded, subscription: Subscription, result: SendResult): Promise<void> {
  const now = ports.clock.now();
  const at = iso(now);
  const gone = result.status === 410;
  const outcome = (delivery: Delivery): { next: Delivery; retry?: { seq: number; dueAt: number } } => {
    const record: Attempt = {
      n: delivery.totalAttempts + 1,
      at,
      dueAt: delivery.nextAttemptAt !== undefined ? iso(delivery.nextAttemptAt) : undefined,
      outcome: result.ok ? "delivered" : "failed",
      status: result.status,
      latencyMs: result.latencyMs,
      response: result.response,
      error: result.error,
    };
    const base: Delivery = {
      ...delivery,
      attempts: [...delivery.attempts, record].slice(-ATTEMPTS_KEPT),
      totalAttempts: delivery.totalAttempts + 1,
      cycleAttempts: delivery.cycleAttempts + 1,
      leaseUntil: undefined,
      updatedAt: at,
    };
    if (result.ok) return { next: { ...base, status: "delivered", deliveredAt: at, nextAttemptAt: undefined } };
    const delay = gone ? undefined : retryDelaySeconds(base.cycleAttempts);
    if (delay === undefined) {
      const reason = gone
        ? "the receiver answered 410 Gone, so the subscription was disabled"
        : `gave up after ${MAX_ATTEMPTS} attempts; redrive it once the receiver is fixed`;
      return { next: { ...base, status: "dead", deadAt: at, deadReason: reason, nextAttemptAt: undefined } };
    }
    const retry = { seq: delivery.seq + 1, dueAt: now + delay * 1000 };
    return { next: { ...base, status: "pending", seq: retry.seq, nextAttemptAt: retry.dueAt }, retry };
  };

  let current = claimed;
  let final = true;
  for (let round = 0; round < 10; round += 1) {
    const { next, retry } = outcome(current.delivery);
    final = !retry;
    // The next attempt's message goes out before the record says it exists: a crash in
    // between leaves a message that finds nothing to do, never a retry nobody will run.
    if (retry) await sendMessage(ports, { kind: "attempt", tenantId: next.tenantId, deliveryId: next.id, seq: retry.seq }, retry.dueAt);
    try {
      await save(ports, current, next);
      break;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const reloaded = await load(ports, claimed.delivery.tenantId, claimed.delivery.id);
      if (!reloaded || reloaded.delivery.status !== "attempting" || reloaded.delivery.seq !== claimed.delivery.seq) return;
      current = reloaded;
    }
  }

  if (gone) {
    await Subscriptions.disable(ports, subscription.tenantId, subscription.id, "the receiver answered 410 Gone");
  } else {
    const failingSince = await Subscriptions.noteOutcome(ports, subscription, result.ok);
    if (failingSince !== undefined && now - failingSince >= Subscriptions.FAILING_DISABLE_MS) {
      await Subscriptions.disable(ports, subscription.tenantId, subscription.id, "every delivery failed for 24 hours");
    }
  }
  if (claimed.delivery.ordered && final) await releaseOrder(ports, claimed.delivery);
}

/** A delivery that cannot be sent (its subscription is off or gone) dies without an attempt, to be redriven later. */
async function finishUnsent(ports: Ports, loaded: Loaded, reason: string): Promise<void> {
  const now = ports.clock.now();
  try {
    await save(ports, loaded, {
      ...loaded.delivery,
      status: "dead",
      deadAt: iso(now),
      deadReason: reason,
      leaseUntil: undefined,
      nextAttemptAt: undefined,
      updatedAt: iso(now),
    });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return;
  }
  if (loaded.delivery.ordered) await releaseOrder(ports, loaded.delivery);
}

// ------------------------------------------------------------------ ordered subscriptions

/**
 * Ordered subscriptions keep their unfinished deliveries in a partition sorted by
 * event order; only the first may be sent. Each writes its own entry before it
 * looks, and a finished one removes its entry before waking the next, so one of
 * the two always sees the other.
 */
async function isFirstInLine(ports: Ports, delivery: Delivery): Promise<boolean> {
  const pk = openPk(delivery.tenantId, delivery.subscriptionId);
  const own = await ports.store.get(pk, delivery.orderKey);
  if (!own) await ports.store.put({ pk, sk: delivery.orderKey, data: { deliveryId: delivery.id } });
  const head = await ports.store.query(pk, { limit: 1 });
  return head.items[0]?.sk === delivery.orderKey;
}

async function releaseOrder(ports: Ports, delivery: Delivery): Promise<void> {
  const pk = openPk(delivery.tenantId, delivery.subscriptionId);
  await ports.store.delete(pk, delivery.orderKey);
  for (let round = 0; round < 20; round += 1) {
    const head = (await ports.store.query(pk, { limit: 1 })).items[0];
    if (!head) return;
    const next = await load(ports, delivery.tenantId, String(head.data.deliveryId));
    if (!next || isFinal(next.delivery.status)) {
      // Left behind by a crash: clear it and look at the one after.
      await ports.store.delete(pk, head.sk);
      continue;
    }
    // A duplicate of a message it already has is harmless: the seq and the claim sort them out.
    if (next.delivery.status === "pending") {
      await sendMessage(
        ports,
        { kind: "attempt", tenantId: next.delivery.tenantId, deliveryId: next.delivery.id, seq: next.delivery.seq },
        next.delivery.nextAttemptAt ?? ports.clock.now(),
      );
    }
    return;
  }
}

// ------------------------------------------------------------------ redrive

export type RedriveOutcome = "redriven" | "already" | "not-dead" | "no-subscription" | "inactive" | "missing";

/** How long a pending delivery may be overdue before a redrive may kick it (its message was lost to a crash). */
const STUCK_MS = 5 * 60_000;

/**
 * Sends a dead delivery again: a new cycle of attempts, the same `webhook-id`.
 * With `jobId`, a delivery this job already redrove counts as done (a resumed
 * job does not send anything twice).
 */
export async function redriveOne(
  ports: Ports,
  tenantId: string,
  id: string,
  by: string,
  options: { jobId?: string } = {},
): Promise<{ outcome: RedriveOutcome; delivery?: Delivery }> {
  for (let round = 0; round < 10; round += 1) {
    const loaded = await load(ports, tenantId, id);
    if (!loaded) return { outcome: "missing" };
    const delivery = loaded.delivery;
    const now = ports.clock.now();
    const kick = () =>
      sendMessage(ports, { kind: "attempt", tenantId, deliveryId: id, seq: delivery.seq }, Math.max(now, delivery.nextAttemptAt ?? now));
    if (options.jobId && delivery.lastRedrive?.jobId === options.jobId) {
      // Redriven by this job before a crash: make sure its message exists (a duplicate is harmless).
      if (delivery.status === "pending") await kick();
      return { outcome: "already", delivery };
    }
    if (delivery.status === "pending" && !options.jobId && (delivery.nextAttemptAt ?? now) < now - STUCK_MS) {
      await kick();
      return { outcome: "redriven", delivery };
    }
    if (delivery.status !== "dead") return { outcome: "not-dead", delivery };
    const subscription = (await Subscriptions.load(ports, tenantId, delivery.subscriptionId))?.subscription;
    if (!subscription) return { outcome: "no-subscription", delivery };
    if (!subscription.active) return { outcome: "inactive", delivery };
    const next: Delivery = {
      ...delivery,
      status: "pending",
      seq: delivery.seq + 1,
      cycleAttempts: 0,
      nextAttemptAt: now,
      leaseUntil: undefined,
      deadAt: undefined,
      deadReason: undefined,
      redrives: delivery.redrives + 1,
      lastRedrive: { at: iso(now), by, jobId: options.jobId },
      updatedAt: iso(now),
    };
    try {
      await save(ports, loaded, next);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      continue;
    }
    await sendMessage(ports, { kind: "attempt", tenantId, deliveryId: id, seq: next.seq }, now);
    return { outcome: "redriven", delivery: next };
  }
  return { outcome: "not-dead" };
}

/** POST /api/admin/deliveries/{id}/redrive. */
export async function redrive(ports: Ports, principal: Principal, id: string): Promise<DeliveryView> {
  const result = await redriveOne(ports, principal.tenantId, id, actorOf(principal));
  switch (result.outcome) {
    case "missing":
      throw new NotFoundError(`delivery ${id}`);
    case "not-dead":
      throw new ConflictError(`delivery ${id} is ${result.delivery?.status ?? "busy"}; only dead deliveries can be redriven`);
    case "no-subscription":
      throw new ConflictError(`the subscription of delivery ${id} was deleted; there is nowhere to send it`);
    case "inactive":
      throw new ConflictError(`the subscription of delivery ${id} is disabled; enable it (PATCH active: true) and redrive again`);
    default:
      break;
  }
  await Audit.record(ports, principal, { action: "delivery.redriven", target: id, changed: ["status"] });
  return toView(result.delivery as Delivery);
}

// ------------------------------------------------------------------ reads

export function toView(delivery: Delivery, options: { payload?: boolean } = {}): DeliveryView {
  let parsed: unknown;
  if (options.payload) {
    try {
      parsed = JSON.parse(delivery.body);
    } catch {
      parsed = delivery.body;
    }
  }
  return {
    id: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    occurredAt: delivery.occurredAt,
    status: delivery.status,
    webhookId: delivery.id,
    nextAttemptAt: delivery.nextAttemptAt !== undefined && !isFinal(delivery.status) ? iso(delivery.nextAttemptAt) : undefined,
    attempts: delivery.attempts,
    totalAttempts: delivery.totalAttempts,
    deliveredAt: delivery.deliveredAt,
    deadAt: delivery.deadAt,
    deadReason: delivery.deadReason,
    redrives: delivery.redrives,
    lastRedrive: delivery.lastRedrive,
    createdAt: delivery.createdAt,
    updatedAt: delivery.updatedAt,
    ...(options.payload ? { payload: parsed } : {}),
  };
}

export async function get(ports: Ports, tenantId: string, id: string): Promise<DeliveryView> {
  const loaded = await load(ports, tenantId, id);
  if (!loaded) throw new NotFoundError(`delivery ${id}`);
  return toView(loaded.delivery, { payload: true });
}

export interface ListFilter {
  subscriptionId?: string;
  status?: DeliveryStatus;
  /** An event type or a `family.*` wildcard. */
  event?: string;
  cursor?: string;
  limit?: number;
}

/** How many records one list call looks at before it answers with what it found and a cursor. */
const SCAN_BUDGET = 2000;

/** Newest first. Filters are applied while paging, so a page may hold fewer than `limit` and still have a cursor. */
export async function list(ports: Ports, tenantId: string, filter: ListFilter): Promise<{ items: DeliveryView[]; cursor?: string }> {
  const limit = filter.limit ?? 50;
  const dead = filter.status === "dead";
  const pk = dead ? deadIndexPk(tenantId) : deliveryPk(tenantId);
  const items: DeliveryView[] = [];
  let cursor = filter.cursor;
  let scanned = 0;
  do {
    const page = await ports.store.query(pk, { reverse: true, cursor, limit: limit - items.length, ...(dead ? { index: "gsi1" as const } : {}) });
    scanned += page.items.length;
    for (const item of page.items) {
      const delivery = Delivery.parse(item.data);
      if (filter.subscriptionId && delivery.subscriptionId !== filter.subscriptionId) continue;
      if (filter.status && delivery.status !== filter.status) continue;
      if (filter.event && !Subscriptions.matches([filter.event], delivery.eventType)) continue;
      items.push(toView(delivery));
    }
    cursor = page.cursor;
  } while (cursor && items.length < limit && scanned < SCAN_BUDGET);
  return { items, cursor };
}

export interface DeadDeliveries {
  tenantId: string;
  dead: number;
  oldestAgeSeconds: number;
  sample: DeliveryView[];
  /** More dead deliveries than were counted. */
  truncated: boolean;
}

const COUNT_BUDGET = 20_000;

/** The tenant's dead deliveries for the dead-letter dashboard: count, oldest age, a few samples. */
export async function deadSummary(ports: Ports, tenantId: string, sampleSize = 3): Promise<DeadDeliveries> {
  let dead = 0;
  let oldest: number | undefined;
  const sample: DeliveryView[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(deadIndexPk(tenantId), { index: "gsi1", cursor, limit: 1000 });
    for (const item of page.items) {
      const delivery = Delivery.parse(item.data);
      dead += 1;
      const deadAt = delivery.deadAt ? Date.parse(delivery.deadAt) : undefined;
      if (deadAt !== undefined && (oldest === undefined || deadAt < oldest)) oldest = deadAt;
      if (sample.length < sampleSize) sample.push(toView(delivery));
    }
    cursor = page.cursor;
  } while (cursor && dead < COUNT_BUDGET);
  return {
    tenantId,
    dead,
    oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, Math.floor((ports.clock.now() - oldest) / 1000)),
    sample,
    truncated: Boolean(cursor),
  };
}
