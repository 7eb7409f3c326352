import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ForbiddenError } from "../error.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import * as Tenant from "../tenant/index.ts";
import { catalog, isEventType, type EventData, type EventType } from "./catalog.ts";
import type { Envelope } from "./envelope.ts";
import { create } from "./index.ts";

/**
 * Events entering the hub as records: the owner's PMS / POS publishing through
 * POST /api/v1/events, and events the hub raises itself. Each is written once to
 * the store with the outbox attribute (the record is the outbox entry), keyed by
 * its id, so a retried publish is a no-op and the event leaves exactly once.
 */

const eventPk = (tenantId: string) => `EVT#${tenantId}`;
/** How long an event id is remembered for idempotent publishing. */
const EVENT_TTL_SECONDS = 30 * 24 * 3600;

let lastMs = 0;
let counter = 0;

/** `evt_` + time + counter + random: ids the hub hands out sort in the order it accepted the events. */
export function newEventId(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else counter += 1;
  return `evt_${lastMs.toString(36).padStart(9, "0")}${counter.toString(36).padStart(4, "0")}${randomBytes(5).toString("hex")}`;
}

const CATALOG_HINT = "GET /api/admin/events/catalog lists the types there are";

export const PublishEvent = z
  .object({
    type: z.string().trim().min(1).max(120),
    /** Your id for the event; sending the same id again is a no-op (idempotent publish). */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/, "1–200 letters, digits, _ . : - (starting with a letter or digit)")
      .optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    locationId: z.string().min(1).max(200).optional(),
    data: z.record(z.string(), z.unknown()),
  })
  .superRefine((input, ctx) => {
    if (!isEventType(input.type)) {
      ctx.addIssue({ code: "custom", path: ["type"], message: `unknown event type "${input.type}"; ${CATALOG_HINT}` });
      return;
    }
    const spec: { publishable?: boolean; schema: z.ZodType } = catalog[input.type];
    if (!spec.publishable) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `"${input.type}" is raised by the hub itself and cannot be published; ${CATALOG_HINT} (publishable ones are marked)`,
      });
      return;
    }
    const result = spec.schema.safeParse(input.data);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: "custom", path: ["data", ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))], message: issue.message });
      }
    }
  });
export type PublishEvent = z.infer<typeof PublishEvent>;

export interface Published {
  id: string;
  type: string;
  occurredAt: string;
  locationId?: string;
  /** The id was seen before: nothing new was published. */
  duplicate: boolean;
}

/** Writes the event record that carries the envelope out through the outbox; false when the id was seen before. */
export async function emit(ports: Ports, envelope: Envelope, meta: Record<string, unknown> = {}): Promise<boolean> {
  try {
    await ports.store.put(
      {
        pk: eventPk(envelope.tenantId),
        sk: envelope.id,
        ttl: Math.floor(ports.clock.now() / 1000) + EVENT_TTL_SECONDS,
        data: {
          id: envelope.id,
          type: envelope.type,
          occurredAt: envelope.occurredAt,
          locationId: envelope.locationId,
          receivedAt: new Date(ports.clock.now()).toISOString(),
          ...meta,
        },
        outbox: envelope,
      },
      { ifNotExists: true },
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}

/** A domain event from the owner's system (an API key with the "events" scope). */
export async function publish(ports: Ports, principal: Tenant.Principal, input: z.input<typeof PublishEvent>): Promise<Published> {
  const parsed = PublishEvent.parse(input);
  let locationId = parsed.locationId;
  if (principal.kind === "apiKey" && principal.locationId) {
    if (locationId && locationId !== principal.locationId) {
      throw new ForbiddenError(`this API key is bound to location ${principal.locationId}; it cannot publish for ${locationId}`);
    }
    locationId = principal.locationId;
  } else if (locationId) {
    await Tenant.getLocation(ports, principal.tenantId, locationId);
  }
  const now = ports.clock.now();
  const envelope = create({
    type: parsed.type as EventType,
    tenantId: principal.tenantId,
    locationId,
    data: parsed.data as EventData<EventType>,
    id: parsed.id ?? newEventId(now),
    occurredAt: parsed.occurredAt ? new Date(parsed.occurredAt) : new Date(now),
  });
  const fresh = await emit(ports, envelope, { publishedBy: Tenant.actorOf(principal) });
  return { id: envelope.id, type: envelope.type, occurredAt: envelope.occurredAt, locationId, duplicate: !fresh };
}
