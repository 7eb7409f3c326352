import { randomUUID } from "node:crypto";
import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { DomainError, InvalidInputError, NotFoundError } from "../error.ts";
import type { Envelope } from "../event/envelope.ts";
import { scalar, valueAtPath } from "../format/path.ts";
import { paymentPk, paymentSk } from "../payment/keys.ts";
import { Payment } from "../payment/record.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import { FeatureKey } from "../provider/features.ts";
import { Channel, Locale, ParamName, TemplateName } from "../template/record.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { triggerPk } from "./keys.ts";
import { recordRefused, submit } from "./submit.ts";
import { TenantViewCache } from "../tenant-view-cache.ts";

/**
 * Messages the hub sends by itself when a domain event arrives: per tenant, an
 * event type → a template on a channel, the recipient and each parameter read by
 * a dot path from the event's data. Payment events also see the payment itself
 * as `payment` (its customer, reference, amounts), so a receipt can go to
 * `payment.customer.email`. Each (trigger, event) pair sends at most once: its
 * idempotency key is derived from both.
 */

export const TriggerEvent = z.enum(["payment.received", "reservation.created"]);

const Path = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.[\]=*-]+$/, "a dot path into the event data, like guest.email or payment.customer.phone");

const Fields = {
  eventType: TriggerEvent,
  featureKey: FeatureKey,
  channel: Channel,
  template: TemplateName,
  locale: Locale,
  /** Where the guest's language is in the event (id / en); `locale` when absent. */
  localePath: Path.optional(),
  to: Path,
  params: z.record(ParamName, Path).default({}),
  /** Only events of this location (else every location's). */
  locationId: z.string().min(1).max(200).optional(),
  active: z.boolean().default(true),
  description: z.string().max(300).optional(),
};

export const CreateTrigger = z.object(Fields);
export type CreateTrigger = z.input<typeof CreateTrigger>;

export const UpdateTrigger = z
  .object({ ...Fields, localePath: Path.nullable(), locationId: z.string().min(1).max(200).nullable(), description: z.string().max(300).nullable() })
  .partial()
  .strict();
export type UpdateTrigger = z.input<typeof UpdateTrigger>;

export const Trigger = z.object({ id: z.string(), tenantId: z.string(), ...Fields, createdBy: z.string(), createdAt: z.string(), updatedAt: z.string() });
export type Trigger = z.infer<typeof Trigger>;

const now = (ports: Ports) => new Date(ports.clock.now()).toISOString();

/** What the notify worker matches events against, shared for a second. */
const forEvents = new TenantViewCache<Trigger[]>(1000);

export async function listTriggers(ports: Ports, tenantId: string): Promise<Trigger[]> {
  const page = await ports.store.query(triggerPk(tenantId), { limit: 500 });
  return page.items.map((item) => Trigger.parse(item.data)).sort((a, b) => a.eventType.localeCompare(b.eventType) || a.createdAt.localeCompare(b.createdAt));
}

export async function createTrigger(ports: Ports, principal: Principal, input: CreateTrigger): Promise<Trigger> {
  const parsed = CreateTrigger.parse(input);
  const at = now(ports);
  const trigger = Trigger.parse({ ...parsed, id: `trg_${randomUUID()}`, tenantId: principal.tenantId, createdBy: actorOf(principal), createdAt: at, updatedAt: at });
  await ports.store.put({ pk: triggerPk(principal.tenantId), sk: trigger.id, data: trigger }, { ifNotExists: true });
  forEvents.drop(ports, principal.tenantId);
  await Audit.record(ports, principal, { action: "message_trigger.created", target: trigger.id, changed: Object.keys(parsed) });
  return trigger;
}

export async function updateTrigger(ports: Ports, principal: Principal, id: string, input: UpdateTrigger): Promise<Trigger> {
  const patch = UpdateTrigger.parse(input);
  for (;;) {
    const item = await ports.store.get(triggerPk(principal.tenantId), id);
    if (!item) throw new NotFoundError(`message trigger ${id}`);
    const merged: Record<string, unknown> = { ...item.data, updatedAt: now(ports) };
    // null clears a field: it is left out of the stored record.
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value ?? undefined;
    const next = Trigger.parse(merged);
    try {
      await ports.store.put({ ...item, data: next }, { ifVersion: item.version });
    } catch (error) {
      if (error instanceof ConditionFailedError) continue;
      throw error;
    }
    forEvents.drop(ports, principal.tenantId);
    await Audit.record(ports, principal, { action: "message_trigger.updated", target: id, changed: Object.keys(patch) });
    return next;
  }
}

export async function removeTrigger(ports: Ports, principal: Principal, id: string): Promise<void> {
  const item = await ports.store.get(triggerPk(principal.tenantId), id);
  if (!item) throw new NotFoundError(`message trigger ${id}`);
  await ports.store.delete(item.pk, item.sk);
  forEvents.drop(ports, principal.tenantId);
  await Audit.record(ports, principal, { action: "message_trigger.deleted", target: id, changed: [] });
}

/** What trigger paths read: the event's data, and for payment events the payment as `payment`. */
async function contextOf(ports: Ports, envelope: Envelope): Promise<Record<string, unknown>> {
  const data = envelope.data;
  if (envelope.type.startsWith("payment.") && typeof data.paymentId === "string") {
    // Read directly, not through the payment module, whose gateway engines would join the notify worker's bundle.
    const item = await ports.store.get(paymentPk(envelope.tenantId), paymentSk(data.paymentId));
    return { ...data, ...(item ? { payment: Payment.parse(item.data) } : {}) };
  }
  return data;
}

function valueFor(context: unknown, path: string): unknown {
  const value = valueAtPath(context, path);
  return value === null ? undefined : value;
}

/** The notify worker's step for payment.received / reservation.created: every matching trigger, once. */
export async function runTriggers(ports: Ports, envelope: Envelope): Promise<void> {
  const triggers = (await forEvents.get(ports, envelope.tenantId, () => listTriggers(ports, envelope.tenantId))).filter(
    (trigger) => trigger.active && trigger.eventType === envelope.type && (!trigger.locationId || trigger.locationId === envelope.locationId),
  );
  if (triggers.length === 0) return;
  const context = await contextOf(ports, envelope);
  for (const trigger of triggers) {
    const idempotencyKey = `trigger:${trigger.id}:${envelope.id}`;
    const source = { kind: "trigger" as const, triggerId: trigger.id, eventId: envelope.id, idempotencyKey };
    const wanted = trigger.localePath ? scalar(valueAtPath(context, trigger.localePath))?.toLowerCase() : undefined;
    const locale = wanted && Locale.safeParse(wanted).success ? wanted : trigger.locale;
    const to = scalar(valueAtPath(context, trigger.to));
    const input = { featureKey: trigger.featureKey, channel: trigger.channel, to: to ?? "", template: trigger.template, locale, locationId: envelope.locationId };
    try {
      if (!to) throw new InvalidInputError(`the ${envelope.type} event has no value at ${trigger.to} to send to`);
      const params = Object.fromEntries(
        Object.entries(trigger.params)
          .map(([name, path]) => [name, valueFor(context, path)] as const)
          .filter((entry) => entry[1] !== undefined),
      );
      await submit(ports, envelope.tenantId, { ...input, params }, { idempotencyKey, source });
    } catch (error) {
      // The event cannot become a message (no recipient, no template, bad params): keep it visible, do not retry.
      const refused = error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ") : error instanceof DomainError && error.status < 500 ? error.message : undefined;
      if (refused === undefined) throw error;
      await recordRefused(ports, envelope.tenantId, input, { idempotencyKey, source }, `trigger ${trigger.id}: ${refused}`);
    }
  }
}
