import { createHash, randomUUID } from "node:crypto";
import { ConflictError, InvalidInputError, NotFoundError } from "../error.ts";
import * as Event from "../event/index.ts";
import { paymentEngines } from "../format/payment/index.ts";
import type { GatewayStatus } from "../format/payment/engine.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import * as Features from "../provider/features.ts";
import type { Principal } from "../tenant/model.ts";
import { sendTo } from "./gateway.ts";
import { gatewayTxPk, idempotencyPk, LOOKUP_SK, paymentPk, paymentSk, PENDING_INDEX, referencePk, UNRECONCILED_INDEX } from "./keys.ts";
import { canMove } from "./lifecycle.ts";
import { PaymentFormat, type PaymentStatus } from "./model.ts";
import { CreatePayment, Payment, RefundRequest } from "./record.ts";

export { CreatePayment, Payment, RefundRequest } from "./record.ts";
export { PaymentStatus } from "./model.ts";

const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

function hashBody(body: unknown): string {
  return createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

/** How long a payment whose gateway names no expiry may stay pending, unless the record's `config.defaultExpiryMinutes` says otherwise. */
export const DEFAULT_EXPIRY_MINUTES = 24 * 60;

/** The record's window for a payment with no expiry of its own. */
export function defaultExpiryMs(config: Record<string, unknown>): number {
  const minutes = config.defaultExpiryMinutes;
  return (typeof minutes === "number" && Number.isFinite(minutes) && minutes > 0 ? minutes : DEFAULT_EXPIRY_MINUTES) * 60_000;
}

/** When reconciliation may ask about a still-pending payment (payments stored before reconcileAfter existed get the default window). */
export function reconcileAfterOf(payment: Pick<Payment, "reconcileAfter" | "expiresAt" | "createdAt">): string {
  return payment.reconcileAfter ?? payment.expiresAt ?? new Date(Date.parse(payment.createdAt) + DEFAULT_EXPIRY_MINUTES * 60_000).toISOString();
}

/** Index attributes: pending payments by the time reconciliation may ask about them; none once settled. */
function indexFor(payment: Payment): Pick<Item, "gsi1pk" | "gsi1sk"> {
  if (payment.unreconciled) return { gsi1pk: UNRECONCILED_INDEX(payment.tenantId), gsi1sk: payment.unreconciled.at };
  if (payment.status !== "pending") return {};
  return { gsi1pk: PENDING_INDEX, gsi1sk: `${reconcileAfterOf(payment)}#${payment.tenantId}#${payment.id}` };
}

async function write(ports: Ports, payment: Payment, version: number | undefined): Promise<Item> {
  return ports.store.put(
    { pk: paymentPk(payment.tenantId), sk: paymentSk(payment.id), ...indexFor(payment), data: payment },
    version === undefined ? { ifNotExists: true } : { ifVersion: version },
  );
}

/** Writes the payment if it is still at `version` (undefined: not written yet); false when another write got there first. */
async function writeIfCurrent(ports: Ports, payment: Payment, version: number | undefined): Promise<boolean> {
  try {
    await write(ports, payment, version);
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}

async function load(ports: Ports, tenantId: string, paymentId: string): Promise<{ item: Item; payment: Payment }> {
  const item = await ports.store.get(paymentPk(tenantId), paymentSk(paymentId));
  if (!item) throw new NotFoundError(`payment ${paymentId}`);
  return { item, payment: Payment.parse(item.data) };
}

export async function get(ports: Ports, tenantId: string, paymentId: string): Promise<Payment> {
  return (await load(ports, tenantId, paymentId)).payment;
}

export async function byReference(ports: Ports, tenantId: string, reference: string): Promise<Payment[]> {
  const page = await ports.store.query(referencePk(tenantId, reference), { limit: 100 });
  const payments = await Promise.all(page.items.map((item) => ports.store.get(paymentPk(tenantId), paymentSk(String(item.data.paymentId)))));
  return payments.filter((item): item is Item => Boolean(item)).map((item) => Payment.parse(item.data));
}

export async function list(ports: Ports, tenantId: string, options: { cursor?: string; limit?: number } = {}) {
  const page = await ports.store.query(paymentPk(tenantId), { prefix: "PAYMENT#", cursor: options.cursor, limit: options.limit ?? 50, reverse: true });
  return { items: page.items.map((item) => Payment.parse(item.data)), cursor: page.cursor };
}

export async function unreconciled(ports: Ports, tenantId: string): Promise<Payment[]> {
  const page = await ports.store.query(UNRECONCILED_INDEX(tenantId), { index: "gsi1", limit: 500 });
  return page.items.map((item) => Payment.parse(item.data));
}

/**
 * Creates a payment at the provider mapped to the feature. The Idempotency-Key
 * makes retries safe: the same key and body return the same payment (even if the
 * first attempt died half-way), the same key with another body is refused.
 */
export async function create(ports: Ports, principal: Principal, idempotencyKey: string, input: CreatePayment): Promise<{ payment: Payment; replayed: boolean }> {
  const body = CreatePayment.parse(input);
  const locationId = body.locationId ?? (principal.kind === "apiKey" ? principal.locationId : undefined);
  const bodyHash = hashBody(body);
  const { claim, existing } = await claimKey(ports, principal.tenantId, idempotencyKey, bodyHash);
  if (existing) {
    // The first attempt may have died between writing the payment and its event.
    if (existing.history.length === 1) await emitFor(ports, existing, existing.status);
    return { payment: existing, replayed: true };
  }
  try {
    return await createAtGateway(ports, principal, body, locationId, String(claim.data.paymentId));
  } catch (error) {
    await releaseKey(ports, claim);
    throw error;
  }
}

/** How long one request holds its Idempotency-Key before a retry may take over (the first died half-way). */
const LEASE_MS = 60_000;

const IN_PROGRESS = "a request with this Idempotency-Key is still being processed; retry in a moment for its result";

/**
 * Claims the Idempotency-Key for this request, or finds the payment an earlier
 * request with it made. Only the holder of the lease calls the gateway, so racing
 * retries cannot create two payments (or send one order id twice to the gateway).
 */
async function claimKey(ports: Ports, tenantId: string, key: string, bodyHash: string): Promise<{ claim: Item; existing?: Payment }> {
  const pk = idempotencyPk(tenantId, key);
  const now = ports.clock.now();
  const leaseUntil = now + LEASE_MS;
  try {
    const claim = await ports.store.put(
      { pk, sk: LOOKUP_SK, ttl: Math.floor(now / 1000) + 7 * 86_400, data: { bodyHash, leaseUntil, paymentId: `pay_${randomUUID()}` } },
      { ifNotExists: true },
    );
    return { claim };
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  const claim = await ports.store.get(pk, LOOKUP_SK);
  if (!claim) throw new ConflictError(IN_PROGRESS);
  if (claim.data.bodyHash !== bodyHash) {
    throw new ConflictError("this Idempotency-Key was already used with a different body; use a new key for a new payment");
  }
  const existing = await ports.store.get(paymentPk(tenantId), paymentSk(String(claim.data.paymentId)));
  if (existing) return { claim, existing: Payment.parse(existing.data) };
  if (Number(claim.data.leaseUntil ?? 0) > now) throw new ConflictError(IN_PROGRESS);
  try {
    return { claim: await ports.store.put({ ...claim, data: { ...claim.data, leaseUntil } }, { ifVersion: claim.version }) };
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new ConflictError(IN_PROGRESS);
    throw error;
  }
}

/** A failed attempt gives the key back at once, so the caller's retry need not wait for the lease. */
async function releaseKey(ports: Ports, claim: Item): Promise<void> {
  const current = await ports.store.get(claim.pk, claim.sk);
  if (!current || current.version !== claim.version) return;
  await ports.store.put({ ...current, data: { ...current.data, leaseUntil: 0 } }, { ifVersion: current.version }).catch((error: unknown) => {
    if (!(error instanceof ConditionFailedError)) throw error;
  });
}

async function createAtGateway(ports: Ports, principal: Principal, body: CreatePayment, locationId: string | undefined, paymentId: string): Promise<{ payment: Payment; replayed: boolean }> {
  const { primary, fallback } = await Features.resolve(ports, principal.tenantId, body.featureKey, locationId);
  const format = PaymentFormat.safeParse(primary.apiFormat);
  if (!format.success) throw new InvalidInputError(`feature ${body.featureKey} is mapped to ${primary.name}, which is not a payment provider`);
  const engine = paymentEngines[format.data];
  const problem = engine.problemWith(primary, body.amount, body.currency);
  if (problem) throw new InvalidInputError(problem);

  // A fallback that is not a payment provider, or cannot express this amount, is no fallback.
  const fallbackFormat = fallback ? PaymentFormat.safeParse(fallback.apiFormat) : undefined;
  const usableFallback = fallback && fallbackFormat?.success && !paymentEngines[fallbackFormat.data].problemWith(fallback, body.amount, body.currency) ? fallback : undefined;
  const result = await sendTo(ports, { primary, fallback: usableFallback }, "payment.create", false, (context) =>
    paymentEngines[PaymentFormat.parse(context.provider.apiFormat)].create(context, {
      id: paymentId,
      reference: body.reference,
      amount: body.amount,
      currency: body.currency,
      method: body.method,
      token: body.token,
      customer: body.customer,
      items: body.items,
      returnUrl: body.returnUrl,
      expiresAt: body.expiresAt,
      notifyUrl: Provider.webhookUrl(ports, context.provider),
    }),
    body.featureKey,
  );
  const created = result.value;
  const at = iso(ports);
  const expiresAt = body.expiresAt ?? created.expiresAt;
  const payment = Payment.parse({
    id: paymentId,
    tenantId: principal.tenantId,
    locationId,
    featureKey: body.featureKey,
    reference: body.reference,
    amount: body.amount,
    currency: body.currency,
    method: body.method,
    customer: body.customer,
    items: body.items,
    returnUrl: body.returnUrl,
    expiresAt,
    reconcileAfter: expiresAt ? new Date(Date.parse(expiresAt)).toISOString() : new Date(ports.clock.now() + defaultExpiryMs(result.provider.config)).toISOString(),
    providerId: result.provider.id,
    providerSlug: result.provider.slug,
    format: result.provider.apiFormat,
    usedFallback: result.usedFallback,
    gatewayTransactionId: created.gatewayTransactionId,
    status: created.status,
    rawStatus: created.rawStatus,
    redirectUrl: created.redirectUrl,
    qrString: created.qrString,
    vaNumber: created.vaNumber,
    bankCode: created.bankCode,
    clientSecret: created.clientSecret,
    token: created.token,
    capturedAmount: created.status === "paid" ? body.amount : 0,
    refundedAmount: 0,
    refunds: [],
    history: [{ status: created.status, rawStatus: created.rawStatus, at, source: "create" }],
    createdAt: at,
    updatedAt: at,
  });
  // Lookups first: a webhook racing this answer finds the payment as soon as it exists.
  await ports.store.put({ pk: referencePk(payment.tenantId, payment.reference), sk: payment.id, data: { paymentId: payment.id } });
  await ports.store.put({ pk: gatewayTxPk(payment.providerId, created.gatewayTransactionId), sk: LOOKUP_SK, data: { tenantId: payment.tenantId, paymentId: payment.id } });
  if (!(await writeIfCurrent(ports, payment, undefined))) return { payment: await get(ports, principal.tenantId, paymentId), replayed: true };
  // A charge settled (or declined) on the spot is news like a webhook's.
  await emitFor(ports, payment, payment.status);
  return { payment, replayed: false };
}

/** Finds the payment a gateway notification is about: by its transaction id, else by our id echoed as the order id. */
export async function findForGateway(ports: Ports, providerId: string, tenantId: string, ids: { gatewayTransactionId?: string; orderId?: string }): Promise<Payment | undefined> {
  if (ids.gatewayTransactionId) {
    const lookup = await ports.store.get(gatewayTxPk(providerId, ids.gatewayTransactionId), LOOKUP_SK);
    // The lookup is written just before its payment: without the payment it is not known yet.
    const found = lookup ? await ports.store.get(paymentPk(String(lookup.data.tenantId)), paymentSk(String(lookup.data.paymentId))) : undefined;
    if (found) return Payment.parse(found.data);
  }
  if (ids.orderId) {
    const direct = await ports.store.get(paymentPk(tenantId), paymentSk(ids.orderId));
    if (direct) return Payment.parse(direct.data);
    const byRef = await byReference(ports, tenantId, ids.orderId);
    if (byRef.length === 1) return byRef[0];
  }
  return undefined;
}

const EVENT_FOR: Partial<Record<PaymentStatus, "payment.received" | "payment.failed" | "payment.refunded">> = {
  paid: "payment.received",
  failed: "payment.failed",
  expired: "payment.failed",
  partially_refunded: "payment.refunded",
  refunded: "payment.refunded",
};

/**
 * The gateway's own id for a payment, learned from its webhook when create could not
 * give it (iPaymu answers a session id; its trx_id, which its status API wants, only
 * comes with the callback). Later status, cancel and refund calls use it, and the
 * gateway's next webhooks find the payment by it.
 */
export async function learnGatewayTransactionId(ports: Ports, tenantId: string, paymentId: string, gatewayTransactionId: string): Promise<Payment> {
  for (;;) {
    const { item, payment } = await load(ports, tenantId, paymentId);
    if (payment.gatewayTransactionId === gatewayTransactionId) return payment;
    await ports.store.put({ pk: gatewayTxPk(payment.providerId, gatewayTransactionId), sk: LOOKUP_SK, data: { tenantId, paymentId } });
    const next = Payment.parse({ ...payment, gatewayTransactionId, updatedAt: iso(ports) });
    if (await writeIfCurrent(ports, next, item.version)) return next;
  }
}

type GatewayUpdate = Pick<GatewayStatus, "status" | "rawStatus" | "amount" | "refundedAmount">;
type Source = "webhook" | "status_check" | "reconciliation" | "cancel" | "refund";

const REFUNDED: readonly PaymentStatus[] = ["partially_refunded", "refunded"];
const GAVE_UP: readonly PaymentStatus[] = ["failed", "expired", "cancelled"];

/**
 * Applies a gateway status to a payment, forward only, exactly once: the write is
 * conditional on the version read, and the event for the change has an id derived
 * from the payment and the change, written with ifNotExists. Returns whether the
 * payment moved.
 *
 * A refund reported for a payment still pending here means its "paid" was missed or
 * is late: the payment is paid first, then refunded. A "paid" for a payment that
 * already failed or expired cannot move it back, but money may have been taken, so it
 * is flagged for a person (GET /api/admin/payments/unreconciled).
 */
export async function applyStatus(ports: Ports, tenantId: string, paymentId: string, gateway: GatewayUpdate, source: Source): Promise<{ payment: Payment; moved: boolean }> {
  const current = await get(ports, tenantId, paymentId);
  if (current.status === "pending" && REFUNDED.includes(gateway.status)) {
    await moveTo(ports, tenantId, paymentId, { status: "paid", rawStatus: gateway.rawStatus, amount: gateway.amount }, source);
    const refunded = await moveTo(ports, tenantId, paymentId, gateway, source);
    return { ...refunded, moved: true };
  }
  const applied = await moveTo(ports, tenantId, paymentId, gateway, source);
  if (!applied.moved && gateway.status === "paid" && GAVE_UP.includes(applied.payment.status)) {
    await flag(ports, tenantId, paymentId, `the gateway reports it paid (${gateway.rawStatus}) but the payment is ${applied.payment.status}; money may have been taken`, gateway.rawStatus);
  }
  return applied;
}

async function moveTo(ports: Ports, tenantId: string, paymentId: string, gateway: GatewayUpdate, source: Source): Promise<{ payment: Payment; moved: boolean }> {
  for (;;) {
    const { item, payment } = await load(ports, tenantId, paymentId);
    if (!canMove(payment.status, gateway.status) || (gateway.status === "partially_refunded" && (gateway.refundedAmount ?? 0) <= payment.refundedAmount)) {
      // Already there: the event may be what a crash between the two writes lost; its fixed id keeps it single.
      if (payment.status === gateway.status) await emitFor(ports, payment, payment.status);
      return { payment, moved: false };
    }
    const at = iso(ports);
    const next = Payment.parse({
      ...payment,
      status: gateway.status,
      rawStatus: gateway.rawStatus,
      capturedAmount: gateway.status === "paid" ? (gateway.amount ?? payment.amount) : payment.capturedAmount,
      refundedAmount: gateway.refundedAmount ?? (gateway.status === "refunded" ? payment.capturedAmount : payment.refundedAmount),
      history: [...payment.history, { status: gateway.status, rawStatus: gateway.rawStatus, at, source }],
      updatedAt: at,
    });
    if (!(await writeIfCurrent(ports, next, item.version))) continue;
    await emitFor(ports, next, gateway.status);
    return { payment: next, moved: true };
  }
}

/** As long as the inbound hub remembers a webhook's event id, so a late duplicate cannot emit twice. */
const EVENT_CLAIM_SECONDS = 90 * 86_400;

async function emitFor(ports: Ports, payment: Payment, status: PaymentStatus): Promise<void> {
  const type = EVENT_FOR[status];
  if (!type) return;
  const id = `evt_${payment.id}_${status}_${payment.refundedAmount}`;
  const envelope = Event.create({
    type,
    id,
    tenantId: payment.tenantId,
    locationId: payment.locationId,
    data: {
      paymentId: payment.id,
      reference: payment.reference,
      amount: payment.amount,
      currency: payment.currency,
      status: payment.status,
      providerId: payment.providerId,
      capturedAmount: payment.capturedAmount,
      refundedAmount: payment.refundedAmount,
    },
  });
  try {
    await ports.store.put({ pk: `EVENT#${payment.tenantId}`, sk: id, ttl: Math.floor(ports.clock.now() / 1000) + EVENT_CLAIM_SECONDS, outbox: envelope, data: { type } }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}

async function providerOf(ports: Ports, payment: Payment) {
  return Provider.get(ports, payment.tenantId, payment.providerId);
}

export async function cancel(ports: Ports, tenantId: string, paymentId: string): Promise<Payment> {
  const payment = await get(ports, tenantId, paymentId);
  if (payment.status !== "pending") throw new ConflictError(`payment ${paymentId} is ${payment.status}; only a pending payment can be cancelled`);
  const provider = await providerOf(ports, payment);
  const result = await sendTo(ports, { primary: provider }, "payment.cancel", true, (context) =>
    paymentEngines[payment.format].cancel(context, { id: payment.id, gatewayTransactionId: payment.gatewayTransactionId }),
  );
  const applied = await applyStatus(ports, tenantId, paymentId, result.value, "cancel");
  if (!applied.moved && applied.payment.status !== "cancelled") {
    throw new ConflictError(`the gateway answered ${result.value.rawStatus}; the payment is ${applied.payment.status}`);
  }
  return applied.payment;
}

/** A refund: partial refunds add up and never exceed the captured amount. */
export async function refund(ports: Ports, tenantId: string, paymentId: string, input: { amount: number; reason: string }): Promise<Payment> {
  const request = RefundRequest.parse(input);
  for (;;) {
    const { item, payment } = await load(ports, tenantId, paymentId);
    if (payment.status !== "paid" && payment.status !== "partially_refunded") {
      throw new ConflictError(`payment ${paymentId} is ${payment.status}; only a paid payment can be refunded`);
    }
    const pending = payment.refunds.filter((entry) => entry.status !== "failed").reduce((sum, entry) => sum + entry.amount, 0);
    const left = payment.capturedAmount - pending;
    if (request.amount > left) {
      throw new InvalidInputError(`amount: at most ${left} ${payment.currency} can still be refunded (captured ${payment.capturedAmount}, refunded or pending ${pending})`);
    }
    const refundId = `rfd_${randomUUID()}`;
    const at = iso(ports);
    // Reserve the amount first, so two refunds racing cannot both pass the check.
    const reserved = Payment.parse({ ...payment, refunds: [...payment.refunds, { id: refundId, amount: request.amount, reason: request.reason, status: "pending", at }], updatedAt: at });
    if (!(await writeIfCurrent(ports, reserved, item.version))) continue;
    const provider = await providerOf(ports, payment);
    let outcome: { gatewayRefundId?: string; status: "succeeded" | "pending" | "failed"; rawStatus: string };
    try {
      outcome = (
        await sendTo(ports, { primary: provider }, "payment.refund", false, (context) =>
          paymentEngines[payment.format].refund(context, { id: payment.id, gatewayTransactionId: payment.gatewayTransactionId, currency: payment.currency }, { id: refundId, amount: request.amount, reason: request.reason }),
        )
      ).value;
    } catch (error) {
      await settleRefund(ports, tenantId, paymentId, refundId, { status: "failed", rawStatus: error instanceof Error ? error.message : "error" });
      throw error;
    }
    return settleRefund(ports, tenantId, paymentId, refundId, outcome);
  }
}

async function settleRefund(
  ports: Ports,
  tenantId: string,
  paymentId: string,
  refundId: string,
  outcome: { gatewayRefundId?: string; status: "succeeded" | "pending" | "failed"; rawStatus: string },
): Promise<Payment> {
  for (;;) {
    const { item, payment } = await load(ports, tenantId, paymentId);
    const refunds = payment.refunds.map((entry) => (entry.id === refundId ? { ...entry, status: outcome.status, gatewayRefundId: outcome.gatewayRefundId, rawStatus: outcome.rawStatus } : entry));
    const refundedAmount = refunds.filter((entry) => entry.status === "succeeded").reduce((sum, entry) => sum + entry.amount, 0);
    const status: PaymentStatus = refundedAmount === 0 ? payment.status : refundedAmount >= payment.capturedAmount ? "refunded" : "partially_refunded";
    const at = iso(ports);
    const next = Payment.parse({
      ...payment,
      refunds,
      refundedAmount,
      status,
      history: status !== payment.status || refundedAmount !== payment.refundedAmount ? [...payment.history, { status, rawStatus: outcome.rawStatus, at, source: "refund" }] : payment.history,
      updatedAt: at,
    });
    if (!(await writeIfCurrent(ports, next, item.version))) continue;
    if (refundedAmount > payment.refundedAmount) await emitFor(ports, next, status);
    return next;
  }
}

/** Marks a disagreement for a person to look at. */
export async function flag(ports: Ports, tenantId: string, paymentId: string, reason: string, gatewayStatus?: string): Promise<void> {
  for (;;) {
    const { item, payment } = await load(ports, tenantId, paymentId);
    if (payment.unreconciled?.reason === reason) return;
    const next = Payment.parse({ ...payment, unreconciled: { reason, at: iso(ports), gatewayStatus }, updatedAt: iso(ports) });
    if (await writeIfCurrent(ports, next, item.version)) return;
  }
}

export { reconcile, type ReconcileResult } from "./reconcile.ts";
