import * as Event from "../event/index.ts";
import type { Envelope } from "../event/envelope.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import type { Message } from "./record.ts";

/** As long as the hub remembers an event id (like payment events), so a late retry cannot emit twice. */
const EVENT_CLAIM_SECONDS = 90 * 86_400;

/**
 * `message.delivered` / `message.failed` for the owner's subscribers. Called after
 * every write that can end a message and again by a worker that finds it already
 * ended, so a crash between the two loses nothing; the event id is fixed per
 * outcome (the n-th failure: a resent message may fail again), and the record
 * that carries it out through the outbox is written once, so it leaves once.
 */
export async function emitOutcome(ports: Ports, message: Message): Promise<void> {
  const common = { messageId: message.id, channel: message.channel, template: message.template, providerId: message.providerId, providerSlug: message.providerSlug };
  const occurredAt = new Date(ports.clock.now());
  let envelope: Envelope | undefined;
  if (message.status === "delivered") {
    envelope = Event.create({
      type: "message.delivered",
      id: `evt_${message.id}_delivered`,
      tenantId: message.tenantId,
      locationId: message.locationId,
      occurredAt,
      data: { ...common, deliveredChannel: message.deliveredChannel, deliveredAt: message.deliveredAt },
    });
  } else if (message.status === "failed") {
    const failures = message.history.filter((change) => change.status === "failed").length;
    envelope = Event.create({
      type: "message.failed",
      id: `evt_${message.id}_failed_${Math.max(1, failures)}`,
      tenantId: message.tenantId,
      locationId: message.locationId,
      occurredAt,
      data: { ...common, error: message.error?.slice(0, 1000), failedAt: message.failedAt },
    });
  }
  if (!envelope) return;
  try {
    // Written here rather than through event/publish.ts, which would bring the tenant module into the notify worker.
    await ports.store.put({ pk: `EVENT#${message.tenantId}`, sk: envelope.id, ttl: Math.floor(ports.clock.now() / 1000) + EVENT_CLAIM_SECONDS, outbox: envelope, data: { type: envelope.type } }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}
