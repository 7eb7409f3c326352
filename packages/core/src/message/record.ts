import { z } from "zod";
import { FeatureKey } from "../provider/features.ts";
import { Channel, Locale, TemplateName } from "../template/record.ts";

/**
 * queued → sending → sent → delivered | failed. `sending` holds the worker's
 * claim; `unknown` is a send whose outcome was lost (the worker stopped while the
 * provider had the request, and the vendor takes no idempotency key): it is not
 * sent again by itself and waits for a person.
 */
export const MessageStatus = z.enum(["queued", "sending", "sent", "delivered", "failed", "unknown"]);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const AttemptStatus = z.enum(["sending", "sent", "failed", "unknown"]);

/** Decoded e-mail attachments per message (the record holds them; DynamoDB items stop at 400 KB). */
export const MAX_ATTACHMENT_BYTES = 256 * 1024;

export const AttachmentInput = z
  .object({
    filename: z.string().trim().min(1).max(200).regex(/^[^/\\\r\n"]+$/, "a file name without slashes, quotes or line breaks"),
    contentType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/i, "a MIME type such as application/pdf").default("application/octet-stream"),
    /** Base64 content, for e-mail. */
    content: z.base64().optional(),
    /** A public https URL, for WhatsApp media. */
    url: z.url({ protocol: /^https$/ }).max(2000).optional(),
  })
  .refine((attachment) => Boolean(attachment.content) !== Boolean(attachment.url), { message: "give either content (base64, e-mail) or url (https, WhatsApp media)" });
export type AttachmentInput = z.infer<typeof AttachmentInput>;

export const SendMessage = z.object({
  featureKey: FeatureKey,
  channel: Channel,
  to: z.string().trim().min(3).max(320),
  template: TemplateName,
  locale: Locale,
  params: z.record(z.string(), z.unknown()).default({}),
  attachments: z.array(AttachmentInput).max(10).optional(),
  locationId: z.string().min(1).max(200).optional(),
});
export type SendMessage = z.input<typeof SendMessage>;

export const MessageAttempt = z.object({
  number: z.number().int().min(1),
  providerId: z.string(),
  providerSlug: z.string(),
  channel: Channel,
  role: z.enum(["primary", "fallback", "direct"]),
  status: AttemptStatus,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  providerMessageId: z.string().optional(),
  rawStatus: z.string().optional(),
  /** The key the vendor de-duplicates on, when it takes one. */
  idempotencyKey: z.string().optional(),
  error: z.string().optional(),
  errorCode: z.string().optional(),
  httpStatus: z.number().int().optional(),
  /** Whether the provider can have received it: "no" means it certainly did not. */
  delivery: z.enum(["no", "maybe", "yes"]).optional(),
});
export type MessageAttempt = z.infer<typeof MessageAttempt>;

export const StatusChange = z.object({
  status: MessageStatus,
  at: z.string(),
  source: z.enum(["api", "worker", "webhook", "recovery", "admin"]),
  rawStatus: z.string().optional(),
  detail: z.string().optional(),
});

export const StoredAttachment = z.object({
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
  content: z.string().optional(),
  url: z.string().optional(),
});

export const Message = z.object({
  id: z.string(),
  tenantId: z.string(),
  locationId: z.string().optional(),
  featureKey: z.string(),
  /** The channel asked for; a cross-channel fallback delivers on `deliveredChannel`. */
  channel: Channel,
  to: z.string(),
  template: z.string(),
  locale: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  attachments: z.array(StoredAttachment).default([]),
  status: MessageStatus,
  providerId: z.string().optional(),
  providerSlug: z.string().optional(),
  deliveredChannel: Channel.optional(),
  providerMessageId: z.string().optional(),
  usedFallback: z.boolean().default(false),
  attempts: z.array(MessageAttempt).default([]),
  history: z.array(StatusChange).default([]),
  /** While `sending`: until when the worker that holds the claim may still be at it. */
  leaseUntil: z.string().optional(),
  error: z.string().optional(),
  source: z.object({ kind: z.enum(["api", "trigger"]), idempotencyKey: z.string().optional(), triggerId: z.string().optional(), eventId: z.string().optional() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** When the record (and its lookups) is dropped: the tenant's message retention from acceptance. */
  retainUntil: z.string().optional(),
  sentAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  readAt: z.string().optional(),
  failedAt: z.string().optional(),
});
export type Message = z.infer<typeof Message>;

/** What the API shows: attachments without their content. */
export type MessageView = Omit<Message, "attachments" | "leaseUntil"> & { attachments: Omit<z.infer<typeof StoredAttachment>, "content">[] };

export function view(message: Message): MessageView {
  const { attachments, leaseUntil: _lease, ...rest } = message;
  return { ...rest, attachments: attachments.map(({ content: _content, ...attachment }) => attachment) };
}
