import { randomUUID } from "node:crypto";
import { InvalidInputError, NotKnownYetError } from "../error.ts";
import * as Event from "../event/index.ts";
import { InvalidWebhookError, type GatewayStatus } from "../format/payment/engine.ts";
import { paymentEngines } from "../format/payment/index.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import * as Payment from "../payment/index.ts";
import { sendTo } from "../payment/gateway.ts";
import { PaymentFormat } from "../payment/model.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import { isSecretKey, mask } from "../secret/redact.ts";
import { providerBySlug, secretsFor } from "./lookup.ts";
import { InboundWebhook, type InboundStatus } from "./record.ts";
import { inboundPk, load, mark } from "./stored.ts";
import { inboundEventFor, normalizeOtaPush, parseMessageStatus } from "./routing.ts";
import { verifiers } from "./verifiers/index.ts";
import { resolveConfigRefs } from "./verifiers/util.ts";

export { InboundWebhook, InboundStatus } from "./record.ts";
export { processWith } from "./stored.ts";

/** Ids sort by arrival time (fixed-width base-36 milliseconds), so the id is also the sort key. */
const timePart = (ms: number) => ms.toString(36).padStart(9, "0");
const newId = (ms: number) => `whk_${timePart(ms)}_${randomUUID().slice(0, 8)}`;
const eventPk = (providerId: string, eventId: string) => `INBOUNDEVT#${providerId}#${eventId}`;
/** Inbound records are kept 90 days; the event-id claims as long, so late duplicates are still caught. */
const RETENTION_SECONDS = 90 * 86_400;

const SIGNATURE_HEADERS = /signature|token|authorization|digest|secret|key/i;

function maskHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, isSecretKey(name) || SIGNATURE_HEADERS.test(name) ? mask(value) : value]),
  );
}

export interface Received {
  status: number;
  body: { received: boolean; id?: string; duplicate?: boolean; error?: { code: string; message: string } };
}

function answer(status: number, id: string | undefined, extra: Partial<Received["body"]> = {}): Received {
  return { status, body: { received: status < 300, ...(id ? { id } : {}), ...extra } };
}

/**
 * `POST /webhook/{type}/{slug}`: the request is stored before anything else, then
 * verified, parsed by the provider's format and de-duplicated on the provider's
 * event id. The claim on that id carries the outbox event, so accepting a webhook
 * and queueing it for its worker is one conditional write.
 */
export async function receive(
  ports: Ports,
  request: { type: string; slug: string; method: string; url: string; rawBody: string; headers: Record<string, string>; query: Record<string, string>; sourceIp: string },
): Promise<Received> {
  const provider = await providerBySlug(ports, request.slug);
  if (!provider || provider.type !== request.type) {
    return answer(404, undefined, { error: { code: "not_found", message: `no ${request.type} provider with slug ${request.slug}` } });
  }
  const id = newId(ports.clock.now());
  const receivedAt = new Date(ports.clock.now()).toISOString();
  // Built from values already typed and checked by the HTTP layer: no second validation on the hot path.
  let record: InboundWebhook = {
    id,
    tenantId: provider.tenantId,
    providerId: provider.id,
    providerSlug: provider.slug,
    type: provider.type,
    receivedAt,
    sourceIp: request.sourceIp,
    method: request.method,
    path: new URL(request.url).pathname,
    query: request.query,
    headers: maskHeaders(request.headers),
    body: request.rawBody,
    status: "received",
    attempts: 0,
  };
  const ttl = Math.floor(ports.clock.now() / 1000) + RETENTION_SECONDS;
  // Checking the signature and reading the body need no I/O, so the request is stored
  // once, with its outcome, before it is answered: a crash before that write leaves the
  // provider without an answer, and it sends again. Only a duplicate costs a second write.
  let item: Item | undefined;
  const update = async (change: Partial<InboundWebhook>) => {
    record = { ...record, ...change };
    item = item
      ? await ports.store.put({ ...item, data: record }, { ifVersion: item.version })
      : await ports.store.put({ pk: inboundPk(provider.tenantId), sk: id, ttl, data: record });
  };

  const signature = (provider.config.signature ?? {}) as { method?: string; params?: Record<string, unknown> };
  // A pushed booking is a sale: an OTA channel's pushes are taken unsigned only when its record says so ("none").
  if (provider.type === "ota" && !signature.method) {
    await update({ status: "rejected", reason: "the channel's record names no signature method (config.signature); unsigned pushes are refused" });
    return answer(401, id, { error: { code: "unverifiable", message: "this channel's pushes cannot be verified: set config.signature on its provider record" } });
  }
  const method = (signature.method ?? "none") as keyof typeof verifiers;
  const verifier = verifiers[method];
  if (!verifier) {
    await update({ status: "rejected", reason: `unknown signature method ${String(signature.method)}` });
    return answer(401, id, { error: { code: "unverifiable", message: "this provider's signature method is not known" } });
  }
  const secrets = await secretsFor(ports, provider);
  const verified = verifier({
    rawBody: request.rawBody,
    headers: request.headers,
    method: request.method,
    url: request.url,
    query: request.query,
    secrets,
    params: resolveConfigRefs(signature.params ?? {}, provider.config),
    nowMs: ports.clock.now(),
  });
  if (!verified.ok) {
    await update({ status: "rejected", reason: verified.reason });
    return answer(401, id, { error: { code: "bad_signature", message: verified.reason } });
  }

  let normalized: Record<string, unknown> & { eventId: string };
  try {
    const route = inboundEventFor(provider.type);
    normalized = route === "inbound.message_status" ? parseMessageStatus(provider, request) : route === "inbound.ota" ? await normalizeOtaPush(provider, request) : parse(provider, secrets, ports, request);
  } catch (error) {
    const reason = error instanceof InvalidWebhookError || error instanceof InvalidInputError ? error.message : "the body could not be read";
    await update({ status: "malformed", reason });
    return answer(400, id, { error: { code: "malformed", message: reason } });
  }

  const eventId = verified.eventId ?? normalized.eventId;
  // Stored before the claim: the claim's event sends the worker to this record.
  await update({ status: "accepted", eventId, normalized });
  try {
    await ports.store.put(
      {
        pk: eventPk(provider.id, eventId),
        sk: "CLAIM",
        ttl,
        data: { inboundId: id, tenantId: provider.tenantId, receivedAt },
        outbox: Event.create({ type: inboundEventFor(provider.type), tenantId: provider.tenantId, data: { inboundId: id, providerId: provider.id } }),
      },
      { ifNotExists: true },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    await update({ status: "duplicate" });
    return answer(200, id, { duplicate: true });
  }
  return answer(200, id);
}

function parse(
  provider: ProviderRecord,
  secrets: Record<string, string>,
  ports: Ports,
  request: { rawBody: string; headers: Record<string, string>; query: Record<string, string> },
): Record<string, unknown> & { eventId: string } {
  const format = PaymentFormat.safeParse(provider.apiFormat);
  if (!format.success) throw new InvalidInputError(`webhooks from ${provider.type} providers are not processed yet`);
  const normalized = paymentEngines[format.data].parseWebhook(
    { ports, provider, secrets, baseUrl: Provider.baseUrlOf(provider) },
    { rawBody: request.rawBody, headers: request.headers, query: request.query },
  );
  return { ...normalized };
}

export class PaymentNotKnownYetError extends NotKnownYetError {
  constructor(ids: { gatewayTransactionId?: string; orderId?: string }) {
    super(`no payment matches ${ids.gatewayTransactionId ? `transaction ${ids.gatewayTransactionId}` : ""}${ids.orderId ? ` order ${ids.orderId}` : ""} yet; will retry`);
    this.name = "PaymentNotKnownYetError";
  }
}

/**
 * The settlement worker's step: match the webhook to its payment, confirm with the
 * gateway's status API where the provider record asks for it, and apply the
 * status forward-only and exactly once. An unknown payment throws, so the queue
 * retries and finally dead-letters it.
 */
export async function settle(ports: Ports, tenantId: string, key: string, attempt: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  const loaded = await load(ports, tenantId, key);
  const { record } = loaded;
  if (record.status === "processed") return;
  try {
    const normalized = record.normalized as { gatewayTransactionId?: string; orderId?: string; status: Payment.PaymentStatus; rawStatus: string; amount?: number; refundedAmount?: number };
    const found = await Payment.findForGateway(ports, record.providerId, tenantId, normalized);
    if (!found) throw new PaymentNotKnownYetError(normalized);
    // A gateway id the payment lacked (iPaymu's trx_id, where create gave a session id) is kept for later calls.
    const learned = normalized.gatewayTransactionId;
    const payment = learned && learned !== found.gatewayTransactionId ? await Payment.learnGatewayTransactionId(ports, tenantId, found.id, learned) : found;
    const provider = await Provider.get(ports, tenantId, record.providerId);
    let status: Pick<GatewayStatus, "status" | "rawStatus" | "amount" | "refundedAmount"> = { status: normalized.status, rawStatus: normalized.rawStatus, amount: normalized.amount, refundedAmount: normalized.refundedAmount };
    // The record's webhook.confirmWith: "status" asks for the gateway's own word before trusting a notification.
    if ((provider.config.webhook as { confirmWith?: string } | undefined)?.confirmWith === "status") {
      const checked = await sendTo(ports, { primary: provider }, "payment.status", true, (context) =>
        paymentEngines[payment.format].status(context, { id: payment.id, gatewayTransactionId: payment.gatewayTransactionId }),
      );
      // A status API can lag its own notification: until it confirms, the webhook waits on the queue (then the DLQ).
      if (checked.value.status === "pending" && normalized.status !== "pending") {
        throw new Error(`the notification says ${normalized.rawStatus} but the gateway's status API still says ${checked.value.rawStatus}; will ask again`);
      }
      status = checked.value;
    }
    await Payment.applyStatus(ports, tenantId, payment.id, status, "webhook");
    await mark(ports, tenantId, key, (current) => ({ status: "processed", attempts: current.attempts + 1, processedAt: new Date(ports.clock.now()).toISOString(), paymentId: payment.id, lastError: undefined }), loaded);
  } catch (error) {
    const last = attempt.receiveCount >= attempt.maxReceiveCount;
    await mark(
      ports,
      tenantId,
      key,
      (current) => ({
        status: (last ? "dead" : "failed") as InboundStatus,
        attempts: current.attempts + 1,
        lastError: error instanceof Error ? error.message : String(error),
      }),
      loaded,
    );
    throw error;
  }
}

export async function list(ports: Ports, tenantId: string, filter: { providerId?: string; status?: InboundStatus; cursor?: string; limit?: number; since?: string; until?: string }) {
  const limit = filter.limit ?? 50;
  const items: InboundWebhook[] = [];
  let cursor = filter.cursor;
  // Filters are applied while paging newest first; each call reads a bounded number of pages.
  for (let pages = 0; pages < 20 && items.length < limit; pages += 1) {
    const page = await ports.store.query(inboundPk(tenantId), {
      reverse: true,
      cursor,
      limit: 200,
      from: filter.since ? `whk_${timePart(Date.parse(filter.since))}` : undefined,
      to: filter.until ? `whk_${timePart(Date.parse(filter.until))}\u{10FFFF}` : undefined,
    });
    for (const item of page.items) {
      const record = InboundWebhook.parse(item.data);
      if (filter.providerId && record.providerId !== filter.providerId) continue;
      if (filter.status && record.status !== filter.status) continue;
      if (items.length < limit) items.push(record);
    }
    cursor = page.cursor;
    if (!cursor) break;
  }
  return { items, cursor };
}

/** Queues one stored webhook for its worker again (after a fix, or from the dead-letter dashboard). */
export async function replay(ports: Ports, tenantId: string, inboundId: string): Promise<InboundWebhook> {
  const { record } = await load(ports, tenantId, inboundId);
  if (!record.normalized) throw new InvalidInputError(`webhook ${inboundId} was ${record.status} (${record.reason ?? "no reason"}); only verified webhooks can be replayed`);
  const result = await ports.bus.publish([Event.create({ type: inboundEventFor(record.type), tenantId, data: { inboundId, providerId: record.providerId } })]);
  if (result.failed.length > 0) throw new Error(`the bus did not take the replay: ${result.failed[0]?.reason}`);
  await mark(ports, tenantId, inboundId, () => ({ status: "accepted" }));
  return { ...record, status: "accepted" };
}

export async function get(ports: Ports, tenantId: string, inboundId: string): Promise<InboundWebhook> {
  return (await load(ports, tenantId, inboundId)).record;
}
