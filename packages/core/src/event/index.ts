import { randomUUID } from "node:crypto";
import { catalog, isEventType, type EventData, type EventType } from "./catalog.ts";
import { Envelope } from "./envelope.ts";
import type { QueueName } from "./queues.ts";

export { catalog, isEventType, routesByQueue, type EventData, type EventType, type EventSpec } from "./catalog.ts";
export { Envelope } from "./envelope.ts";
export { queues, queueNames, isQueueName, type QueueName, type QueueSpec } from "./queues.ts";

export class UnknownEventTypeError extends Error {
  readonly type: string;

  constructor(type: string) {
    super(`unknown event type "${type}": see the event catalog for the types there are`);
    this.type = type;
    this.name = "UnknownEventTypeError";
  }
}

/** Builds a validated envelope; the data must match the catalog's schema for the type. */
export function create<T extends EventType>(input: {
  type: T;
  tenantId: string;
  locationId?: string;
  data: EventData<T>;
  id?: string;
  occurredAt?: Date;
}): Envelope {
  const data = catalog[input.type].schema.parse(input.data);
  return Envelope.parse({
    id: input.id ?? `evt_${randomUUID()}`,
    type: input.type,
    tenantId: input.tenantId,
    locationId: input.locationId,
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
    data,
  });
}

/** Parses a raw envelope (from a queue or a caller) and checks its data against the catalog. */
export function parse(raw: unknown): Envelope & { type: EventType } {
  const envelope = Envelope.parse(raw);
  if (!isEventType(envelope.type)) throw new UnknownEventTypeError(envelope.type);
  const data = catalog[envelope.type].schema.parse(envelope.data);
  return { ...envelope, type: envelope.type, data };
}

/** The queues an event type is routed to. */
export function queuesFor(type: string): readonly QueueName[] {
  if (!isEventType(type)) throw new UnknownEventTypeError(type);
  return catalog[type].queues;
}

/** The typed data of an envelope known to be of `type`. */
export function dataOf<T extends EventType>(envelope: Envelope, type: T): EventData<T> {
  if (envelope.type !== type) throw new UnknownEventTypeError(`${envelope.type} (expected ${type})`);
  return catalog[type].schema.parse(envelope.data) as EventData<T>;
}
