import { z } from "zod";
import { SealedShape } from "../secret/box.ts";

/** A signing secret as stored: sealed by the keyring, never returned. */
export const StoredSecret = z.object({
  sealed: SealedShape,
  /** The last four characters, for the masked display. */
  last4: z.string(),
  createdAt: z.string(),
  /** A replaced secret keeps signing (next to the new one) until then. */
  expiresAt: z.string().optional(),
});
export type StoredSecret = z.infer<typeof StoredSecret>;

export const Subscription = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  /** Exact catalog types, `family.*` wildcards, or `*`. */
  eventTypes: z.array(z.string()).min(1),
  description: z.string().optional(),
  active: z.boolean(),
  rateLimitPerSecond: z.number().int().min(1).optional(),
  ordered: z.boolean(),
  /** Newest first: [0] is current, the rest are rotated-out secrets still inside their overlap window. */
  secrets: z.array(StoredSecret).min(1),
  disabledAt: z.string().optional(),
  disabledReason: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Subscription = z.infer<typeof Subscription>;

/** What the API shows: the secret masked, never sealed material. */
export interface SubscriptionView {
  id: string;
  url: string;
  eventTypes: string[];
  description?: string;
  active: boolean;
  rateLimitPerSecond?: number;
  ordered: boolean;
  secret: string;
  /** Rotated-out secrets that still sign, until when. */
  previousSecrets: { secret: string; expiresAt: string }[];
  disabledAt?: string;
  disabledReason?: string;
  /** Since when every delivery has failed (absent once one succeeds). */
  failingSince?: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export const SubscriptionHealth = z.object({
  failingSince: z.string().optional(),
  lastSuccessAt: z.string().optional(),
  lastFailureAt: z.string().optional(),
});
export type SubscriptionHealth = z.infer<typeof SubscriptionHealth>;

export const Attempt = z.object({
  /** 1, 2, … over the delivery's life (redrives continue the count). */
  n: z.number().int(),
  at: z.string(),
  /** When the attempt was due (absent for the first one). */
  dueAt: z.string().optional(),
  outcome: z.enum(["delivered", "failed"]),
  status: z.number().int().optional(),
  latencyMs: z.number().optional(),
  /** The first 1 KB of the receiver's answer. */
  response: z.string().optional(),
  error: z.string().optional(),
});
export type Attempt = z.infer<typeof Attempt>;

export const DeliveryStatus = z.enum(["pending", "attempting", "delivered", "dead"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z.object({
  id: z.string(),
  tenantId: z.string(),
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  occurredAt: z.string(),
  /** The exact JSON body sent on every attempt. */
  body: z.string(),
  ordered: z.boolean(),
  orderKey: z.string(),
  status: DeliveryStatus,
  /**
   * Which queue message may act on the delivery: each newly scheduled attempt
   * takes the next number, and a message carrying another one is stale.
   */
  seq: z.number().int(),
  /** Attempts in the current cycle (since creation or the last redrive). */
  cycleAttempts: z.number().int(),
  nextAttemptAt: z.number().optional(),
  /** While attempting: until when the attempt holds the delivery (a crashed worker's hold runs out). */
  leaseUntil: z.number().optional(),
  attempts: z.array(Attempt),
  totalAttempts: z.number().int(),
  deliveredAt: z.string().optional(),
  deadAt: z.string().optional(),
  deadReason: z.string().optional(),
  redrives: z.number().int(),
  lastRedrive: z.object({ at: z.string(), by: z.string(), jobId: z.string().optional() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Delivery = z.infer<typeof Delivery>;

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  occurredAt: string;
  status: DeliveryStatus;
  /** The `webhook-id` header: the same on every attempt and redrive. */
  webhookId: string;
  nextAttemptAt?: string;
  attempts: Attempt[];
  totalAttempts: number;
  deliveredAt?: string;
  deadAt?: string;
  deadReason?: string;
  redrives: number;
  lastRedrive?: Delivery["lastRedrive"];
  createdAt: string;
  updatedAt: string;
  /** The payload; only on a single delivery, not in lists. */
  payload?: unknown;
}

export const RedriveFilter = z
  .object({
    subscriptionId: z.string().min(1).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((filter) => !filter.since || !filter.until || Date.parse(filter.since) <= Date.parse(filter.until), {
    message: "since must not be after until",
    path: ["until"],
  });
export type RedriveFilter = z.infer<typeof RedriveFilter>;

export const RedriveJob = z.object({
  id: z.string(),
  tenantId: z.string(),
  filter: z.object({ subscriptionId: z.string().optional(), since: z.string().optional(), until: z.string().optional() }),
  filterKey: z.string(),
  status: z.enum(["running", "done"]),
  /** Message generation: a job message with another step is stale. */
  step: z.number().int(),
  /** Store cursor into the dead deliveries, past what was already looked at. */
  cursor: z.string().optional(),
  more: z.boolean(),
  /** Dead deliveries taken for the current step (kept so a crash resumes them, not skips them). */
  batch: z.array(z.string()),
  scanned: z.number().int(),
  redriven: z.number().int(),
  skipped: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
});
export type RedriveJob = z.infer<typeof RedriveJob>;

/** Messages the `deliver` queue carries besides domain event envelopes. */
export const AttemptMessage = z.object({
  kind: z.literal("attempt"),
  tenantId: z.string(),
  deliveryId: z.string(),
  seq: z.number().int(),
  /** A rate-limit slot already reserved for this send (ms since the epoch). */
  slotAt: z.number().optional(),
});
export type AttemptMessage = z.infer<typeof AttemptMessage>;

export const RedriveJobMessage = z.object({
  kind: z.literal("redrive-job"),
  tenantId: z.string(),
  jobId: z.string(),
  step: z.number().int(),
});
export type RedriveJobMessage = z.infer<typeof RedriveJobMessage>;

export const DeliverMessage = z.discriminatedUnion("kind", [AttemptMessage, RedriveJobMessage]);
export type DeliverMessage = z.infer<typeof DeliverMessage>;
