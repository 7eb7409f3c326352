import { NotKnownYetError } from "../error.ts";
import type { StatusUpdate } from "../format/messaging/index.ts";
import { processWith } from "../inbound/stored.ts";
import type { Ports } from "../port.ts";
import { LOOKUP_SK, providerRefPk } from "./keys.ts";
import type { Message } from "./record.ts";
import { emitOutcome } from "./events.ts";
import { iso, mutate } from "./store.ts";

/**
 * Delivery statuses from the vendors' webhooks, applied forward only:
 * sending / unknown → sent → delivered | failed, never back. `read` is delivery
 * plus a read time. Delivered and failed are final.
 */

export class MessageNotKnownYetError extends NotKnownYetError {
  constructor(ids: string[]) {
    super(`no message matches ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ` and ${ids.length - 5} more` : ""} yet; will retry`);
    this.name = "MessageNotKnownYetError";
  }
}

const FINAL = new Set(["delivered", "failed"]);

/** The message after one vendor status, or undefined when it does not move it. */
export function advance(message: Message, update: StatusUpdate, at: string): Message | undefined {
  const entry = (status: Message["status"], detail?: string) => ({ status, at, source: "webhook" as const, rawStatus: update.rawStatus, ...(detail ? { detail } : {}) });
  if (update.status === "read" && message.status === "delivered") {
    return message.readAt ? undefined : { ...message, readAt: at, history: [...message.history, entry("delivered", "read by the recipient")] };
  }
  if (FINAL.has(message.status)) return undefined;
  switch (update.status) {
    case "queued":
    case "sent":
      if (message.status === "sent") return undefined;
      return { ...message, status: "sent", sentAt: message.sentAt ?? at, history: [...message.history, entry("sent")] };
    case "delivered":
    case "read":
      return {
        ...message,
        status: "delivered",
        deliveredAt: at,
        ...(update.status === "read" ? { readAt: at } : {}),
        history: [...message.history, entry("delivered", update.status === "read" ? "read by the recipient" : undefined)],
      };
    case "failed": {
      const detail = [update.errorCode, update.errorMessage].filter(Boolean).join(": ") || undefined;
      return { ...message, status: "failed", failedAt: at, error: `${message.providerSlug ?? "the provider"} reported ${update.rawStatus}${detail ? ` (${detail})` : ""}`, history: [...message.history, entry("failed", detail)] };
    }
  }
}

export async function applyUpdate(ports: Ports, tenantId: string, messageId: string, update: StatusUpdate): Promise<boolean> {
  // A worker that still holds its claim keeps its lease: it settles its attempt itself.
  const { message, changed } = await mutate(ports, tenantId, messageId, (current) => advance(current, update, iso(ports)));
  // Also when nothing moved: a retried webhook finds the message ended, and the event the first try may have lost leaves now (its id is fixed).
  await emitOutcome(ports, message);
  return changed;
}

/** The notify worker's step for `inbound.message_status`: every status of one stored webhook. */
export async function applyStatusWebhook(ports: Ports, tenantId: string, inboundId: string, attempt: { receiveCount: number; maxReceiveCount: number }): Promise<void> {
  await processWith(ports, tenantId, inboundId, attempt, async (record) => {
    const updates = (Array.isArray(record.normalized?.updates) ? record.normalized.updates : []) as StatusUpdate[];
    const missing: string[] = [];
    for (const update of updates) {
      const ref = await ports.store.get(providerRefPk(record.providerId, update.providerMessageId), LOOKUP_SK);
      if (!ref || ref.data.tenantId !== tenantId) {
        missing.push(update.providerMessageId);
        continue;
      }
      await applyUpdate(ports, tenantId, String(ref.data.messageId), update);
    }
    // A status can overtake the worker's own record of the send: the queue retries until it is there.
    if (missing.length > 0) throw new MessageNotKnownYetError(missing);
  });
}
