import { z } from "zod";
import { ConflictError } from "../error.ts";
import * as Event from "../event/index.ts";
import type { Envelope } from "../event/envelope.ts";
import type { Ports } from "../port.ts";
import * as Template from "../template/index.ts";
import type { Principal } from "../tenant/model.ts";
import { messagePk } from "./keys.ts";
import { Message, MessageStatus, view, type MessageView, type SendMessage } from "./record.ts";
import { process } from "./send.ts";
import { applyStatusWebhook } from "./status.ts";
import { iso, load, mutate } from "./store.ts";
import { submit } from "./submit.ts";
import { runTriggers } from "./triggers.ts";

export { Message, MessageStatus, SendMessage, view, type MessageView } from "./record.ts";
export { normalizePhone } from "./phone.ts";
export { recipient, submit, type Submitted } from "./submit.ts";
export { CreateTrigger, Trigger, UpdateTrigger, createTrigger, listTriggers, removeTrigger, updateTrigger } from "./triggers.ts";
export { DEFAULT_RETENTION_DAYS, MessageSettings, getSettings, putSettings } from "./settings.ts";

/**
 * Messages: SMS, WhatsApp and e-mail from per-tenant templates, queued to the
 * notify worker, sent through the feature's provider (and fallback) by the
 * resilience pipeline, tracked to delivery by the vendors' status webhooks.
 *
 * Never twice: the Idempotency-Key claim makes a repeated POST return the same
 * message; the message record is the outbox entry, so it is queued exactly once;
 * the worker claims the message and records each provider attempt before the
 * provider is called, so a redelivered or crashed send is recognised and not
 * sent again blindly (send.ts).
 */

/** `POST /api/v1/messages` for an API key (scope "messages"). */
export async function create(ports: Ports, principal: Principal, idempotencyKey: string, input: SendMessage): Promise<{ message: MessageView; replayed: boolean }> {
  const result = await submit(ports, principal.tenantId, input, {
    idempotencyKey,
    boundLocationId: principal.kind === "apiKey" ? principal.locationId : undefined,
    source: { kind: "api", idempotencyKey },
  });
  return { message: view(result.message), replayed: result.replayed };
}

export async function get(ports: Ports, tenantId: string, messageId: string): Promise<MessageView> {
  return view((await load(ports, tenantId, messageId)).message);
}

export const ListQuery = z.object({
  status: MessageStatus.optional(),
  channel: Template.Channel.optional(),
  to: z.string().max(320).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/** Newest first; filters are applied while paging, a bounded number of pages per call. */
export async function list(ports: Ports, tenantId: string, filter: z.infer<typeof ListQuery>) {
  const limit = filter.limit ?? 50;
  const items: MessageView[] = [];
  let cursor = filter.cursor;
  for (let pages = 0; pages < 20 && items.length < limit; pages += 1) {
    const page = await ports.store.query(messagePk(tenantId), { reverse: true, cursor, limit: Math.min(200, limit - items.length) });
    for (const item of page.items) {
      const message = Message.parse(item.data);
      if (filter.status && message.status !== filter.status) continue;
      if (filter.channel && message.channel !== filter.channel && message.deliveredChannel !== filter.channel) continue;
      if (filter.to && !message.to.includes(filter.to)) continue;
      items.push(view(message));
    }
    cursor = page.cursor;
    if (!cursor) break;
  }
  return { items, cursor };
}

/**
 * Sends a failed or unknown message again, on a person's word: for an unknown
 * outcome that may deliver it twice, which is why the hub never does it alone.
 */
export async function resend(ports: Ports, tenantId: string, messageId: string, actor: string): Promise<MessageView> {
  const { message, changed } = await mutate(ports, tenantId, messageId, (current) => {
    if (current.status !== "failed" && current.status !== "unknown") return undefined;
    return { ...current, status: "queued", error: undefined, history: [...current.history, { status: "queued", at: iso(ports), source: "admin", detail: `resent by ${actor}` }] };
  });
  if (!changed) throw new ConflictError(`message ${messageId} is ${message.status}; only a failed or unknown message can be resent`);
  const result = await ports.bus.publish([Event.create({ type: "message.send", tenantId, locationId: message.locationId, data: { messageId } })]);
  if (result.failed.length > 0) throw new Error(`the bus did not take the resend: ${result.failed[0]?.reason}`);
  return view(message);
}

/** The notify worker: one envelope of any type routed to the notify queue. */
export async function handle(ports: Ports, envelope: Envelope & { type: Event.EventType }, attempt: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  switch (envelope.type) {
    case "message.send":
      return process(ports, envelope.tenantId, Event.dataOf(envelope, "message.send").messageId, attempt);
    case "inbound.message_status":
      return applyStatusWebhook(ports, envelope.tenantId, Event.dataOf(envelope, "inbound.message_status").inboundId, attempt);
    case "payment.received":
    case "reservation.created":
      return runTriggers(ports, envelope);
    default:
      // Another type routed here by a catalog change: nothing to do, and no reason to retry.
      return;
  }
}
