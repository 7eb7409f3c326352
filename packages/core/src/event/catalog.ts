import { z } from "zod";
import { domainEvents } from "./domain-events.ts";
import type { QueueName } from "./queues.ts";

export interface EventSpec {
  schema: z.ZodType<Record<string, unknown>>;
  /** Queues that receive this type; the bus rules are generated from this. */
  queues: readonly QueueName[];
  description: string;
  /** The owner's systems may publish it through POST /api/v1/events (otherwise only the hub raises it). */
  publishable?: boolean;
}

/** The event catalog: type → schema → queues. Nothing else lists event types. */
export const catalog = {
  "inbound.payment": {
    description: "A verified payment-gateway webhook, stored and waiting for settlement",
    queues: ["settle"],
    schema: z.object({ inboundId: z.string(), providerId: z.string() }),
  },
  "channel.push": {
    description: "A location's ARI changed (or a channel's retry is due): push the channels' dirty state",
    queues: ["channel"],
    schema: z.object({ locationId: z.string(), providerId: z.string().optional(), attempt: z.number().int().min(0).optional() }),
  },
  "channel.pull": {
    description: "Fetch a channel's waiting bookings for one property (the 5-minute schedule, or an admin's pull now)",
    queues: ["channel"],
    schema: z.object({ locationId: z.string(), providerId: z.string() }),
  },
  "channel.booking": {
    description: "A channel booking version was stored; apply it to the reservation, inventory and events",
    queues: ["channel"],
    schema: z.object({ locationId: z.string(), providerId: z.string(), bookingId: z.string(), version: z.string() }),
  },
  "inbound.ota": {
    description: "A verified OTA channel webhook (pushed bookings), stored and waiting for the channel worker",
    queues: ["channel"],
    schema: z.object({ inboundId: z.string(), providerId: z.string() }),
  },
  "message.send": {
    description: "A message was accepted (API or trigger); the notify worker sends it",
    queues: ["notify"],
    schema: z.object({ messageId: z.string() }),
  },
  "inbound.message_status": {
    description: "A verified delivery-status webhook (SMS, WhatsApp, e-mail), stored and waiting for the notify worker",
    queues: ["notify"],
    schema: z.object({ inboundId: z.string(), providerId: z.string() }),
  },
  "diag.ping": {
    description: "A self-test event; its worker marks the ping processed",
    queues: ["diag"],
    schema: z.object({
      pingId: z.string(),
      /** How many deliveries the worker should fail before succeeding. */
      failTimes: z.number().int().min(0).max(100),
      /** Milliseconds the worker holds the message before finishing. */
      holdMs: z.number().int().min(0).max(60_000),
    }),
  },
  ...domainEvents,
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof catalog;

export type EventData<T extends EventType> = z.infer<(typeof catalog)[T]["schema"]>;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(catalog, type);
}

/** Queue name → event types routed to it (what each bus rule matches). */
export function routesByQueue(): Map<QueueName, EventType[]> {
  const byQueue = new Map<QueueName, EventType[]>();
  for (const [type, spec] of Object.entries(catalog) as [EventType, EventSpec][]) {
    for (const queue of spec.queues) {
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), type]);
    }
  }
  return byQueue;
}
