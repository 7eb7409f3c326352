import { z } from "zod";

export const InboundStatus = z.enum([
  /** Stored, not yet verified (a crash here leaves it visible). */
  "received",
  /** Signature did not verify: answered 401. */
  "rejected",
  /** Verified but unreadable by the provider's format: answered 400. */
  "malformed",
  /** The provider's event id was seen before: answered 200, not processed again. */
  "duplicate",
  /** Verified, parsed and queued for its worker. */
  "accepted",
  "processed",
  /** Processing failed; it is retried, then dead-lettered. */
  "failed",
  /** Gave up after the queue's receive count: in the dead-letter queue, replayable. */
  "dead",
]);
export type InboundStatus = z.infer<typeof InboundStatus>;

export const InboundWebhook = z.object({
  id: z.string(),
  tenantId: z.string(),
  providerId: z.string(),
  providerSlug: z.string(),
  type: z.string(),
  receivedAt: z.string(),
  sourceIp: z.string(),
  method: z.string(),
  path: z.string(),
  query: z.record(z.string(), z.string()),
  /** Header values that carry credentials or signatures are masked. */
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  status: InboundStatus,
  reason: z.string().optional(),
  eventId: z.string().optional(),
  normalized: z.record(z.string(), z.unknown()).optional(),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  processedAt: z.string().optional(),
  paymentId: z.string().optional(),
});
export type InboundWebhook = z.infer<typeof InboundWebhook>;
