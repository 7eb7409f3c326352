import { z } from "zod";
import type { QueueName } from "./queues.ts";

/**
 * Domain events that reach the owner's subscribers (issue #5). They are part of
 * the event catalog (catalog.ts spreads them in); this file only keeps the long
 * list out of the table. Where the owner's PMS / POS owns the shape, the schema is
 * loose: the ids that make an event useful are required, anything else passes.
 */

const id = z.string().trim().min(1).max(200);
const money = z.number().finite();
const currency = z.string().regex(/^[A-Za-z]{3}$/, "a 3-letter ISO 4217 code, e.g. IDR");

const reservation = <E extends z.ZodRawShape>(extra: E) =>
  z.looseObject({ reservationId: id, confirmationNumber: z.string().max(100).optional(), ...extra });
const payment = <E extends z.ZodRawShape>(extra: E) =>
  z.looseObject({ paymentId: id, reservationId: id.optional(), saleId: id.optional(), ...extra });
const sale = <E extends z.ZodRawShape>(extra: E) => z.looseObject({ saleId: id, ...extra });
/** A message's outcome: ids and channel only — the recipient and parameters are personal data and stay in the message record. */
const message = <E extends z.ZodRawShape>(extra: E) =>
  z.looseObject({ messageId: id, channel: z.enum(["sms", "whatsapp", "email"]), template: z.string().max(200).optional(), providerId: id.optional(), providerSlug: z.string().max(120).optional(), ...extra });
const provider = <E extends z.ZodRawShape>(extra: E) =>
  z.looseObject({ providerId: id, providerSlug: z.string().max(120).optional(), feature: z.string().max(120).optional(), ...extra });

const DELIVER = ["deliver"] as const satisfies readonly QueueName[];
/** Also to the notify worker, which sends the messages tenants configured for the event (receipts, confirmations). */
const DELIVER_AND_NOTIFY = ["deliver", "notify"] as const satisfies readonly QueueName[];

/** `publishable`: the owner's systems may send it through POST /api/v1/events; the rest only the hub raises. */
export const domainEvents = {
  "reservation.created": {
    description: "A reservation was made (PMS, booking engine or an OTA channel)",
    queues: DELIVER_AND_NOTIFY,
    publishable: true,
    schema: reservation({ arrival: z.string().optional(), departure: z.string().optional() }),
  },
  "reservation.modified": {
    description: "A reservation's dates, rooms, guests or rate changed",
    queues: DELIVER,
    publishable: true,
    schema: reservation({}),
  },
  "reservation.cancelled": {
    description: "A reservation was cancelled",
    queues: DELIVER,
    publishable: true,
    schema: reservation({ reason: z.string().max(500).optional() }),
  },
  "reservation.checked_in": {
    description: "The guest checked in",
    queues: DELIVER,
    publishable: true,
    schema: reservation({ roomId: id.optional() }),
  },
  "reservation.checked_out": {
    description: "The guest checked out",
    queues: DELIVER,
    publishable: true,
    schema: reservation({ roomId: id.optional() }),
  },
  "reservation.overbooked": {
    description: "More rooms of a type were sold than exist for a night",
    queues: DELIVER,
    publishable: true,
    schema: reservation({ roomTypeId: id.optional(), date: z.string().optional() }),
  },
  "payment.received": {
    description: "A payment was received",
    queues: DELIVER_AND_NOTIFY,
    publishable: true,
    schema: payment({ amount: money, currency }),
  },
  "payment.failed": {
    description: "A payment attempt failed or expired",
    queues: DELIVER,
    publishable: true,
    schema: payment({ amount: money.optional(), currency: currency.optional(), reason: z.string().max(500).optional() }),
  },
  "payment.refunded": {
    description: "A payment was refunded, in full or in part",
    queues: DELIVER,
    publishable: true,
    schema: payment({ amount: money, currency }),
  },
  "folio.closed": {
    description: "A guest folio was settled and closed",
    queues: DELIVER,
    publishable: true,
    schema: z.looseObject({ folioId: id, reservationId: id.optional() }),
  },
  "room.status_changed": {
    description: "A room's housekeeping or occupancy status changed",
    queues: DELIVER,
    publishable: true,
    schema: z.looseObject({ roomId: id, status: z.string().trim().min(1).max(60), previousStatus: z.string().max(60).optional() }),
  },
  "sale.created": {
    description: "A point-of-sale sale was opened",
    queues: DELIVER,
    publishable: true,
    schema: sale({}),
  },
  "sale.completed": {
    description: "A point-of-sale sale was paid and completed",
    queues: DELIVER,
    publishable: true,
    schema: sale({ total: money.optional(), currency: currency.optional() }),
  },
  "sale.refunded": {
    description: "A point-of-sale sale was refunded",
    queues: DELIVER,
    publishable: true,
    schema: sale({ amount: money.optional(), currency: currency.optional() }),
  },
  "product.created": {
    description: "A product was added to the catalog",
    queues: DELIVER,
    publishable: true,
    schema: z.looseObject({ productId: id, sku: z.string().max(120).optional() }),
  },
  "product.updated": {
    description: "A product's details or price changed",
    queues: DELIVER,
    publishable: true,
    schema: z.looseObject({ productId: id, sku: z.string().max(120).optional() }),
  },
  "inventory.updated": {
    description: "Stock on hand changed for a product",
    queues: DELIVER,
    publishable: true,
    schema: z.looseObject({ productId: id, quantity: z.number().finite().optional(), locationId: id.optional() }),
  },
  "provider.test_failed": {
    description: "A provider's test connection failed",
    queues: DELIVER,
    publishable: false,
    schema: provider({ error: z.string().max(1000) }),
  },
  "provider.circuit_opened": {
    description: "A provider failed repeatedly; calls to it are paused (circuit open)",
    queues: DELIVER,
    publishable: false,
    schema: provider({ failures: z.number().int().min(0).optional(), until: z.string().optional() }),
  },
  "provider.circuit_closed": {
    description: "A provider recovered; calls to it resumed (circuit closed)",
    queues: DELIVER,
    publishable: false,
    schema: provider({}),
  },
  "provider.alerting": {
    description: "A provider's failure rate over the last hour crossed the alert threshold",
    queues: DELIVER,
    publishable: false,
    schema: provider({ failureRate: z.number().min(0).max(1), windowMinutes: z.number().int().min(1).optional() }),
  },
  "message.delivered": {
    description: "A message reached its recipient (the provider reported it delivered)",
    queues: DELIVER,
    publishable: false,
    schema: message({ deliveredChannel: z.enum(["sms", "whatsapp", "email"]).optional(), deliveredAt: z.string().optional() }),
  },
  "message.failed": {
    description: "A message could not be delivered (no provider took it, or the provider reported it failed)",
    queues: DELIVER,
    publishable: false,
    schema: message({ error: z.string().max(1000).optional(), failedAt: z.string().optional() }),
  },
  "subscription.disabled": {
    description: "An outgoing webhook subscription was disabled by the hub (410 Gone, or every delivery failed for 24 hours)",
    queues: DELIVER,
    publishable: false,
    schema: z.object({ subscriptionId: id, url: z.string(), reason: z.string().max(500) }),
  },
} as const;
