import { createHash } from "node:crypto";
import { z } from "zod";
import { ConflictError, ForbiddenError, InvalidInputError } from "../error.ts";
import * as Event from "../event/index.ts";
import { engineFor } from "../format/messaging/index.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import * as Features from "../provider/features.ts";
import * as Template from "../template/index.ts";
import { channelOf, idempotencyPk, LOOKUP_SK, messagePk } from "./keys.ts";
import { normalizePhone } from "./phone.ts";
import { MAX_ATTACHMENT_BYTES, Message, SendMessage } from "./record.ts";
import { emitOutcome } from "./events.ts";
import { getSettings, retainUntil, ttlOf, type MessageSettings } from "./settings.ts";
import { iso, load, newMessageId } from "./store.ts";

/** How long an Idempotency-Key is remembered: a week, or less when messages are kept less (the claim holds a hash of the body). */
const IDEMPOTENCY_TTL_SECONDS = 7 * 86_400;

function claimTtl(ports: Ports, settings: MessageSettings): number {
  return Math.floor(ports.clock.now() / 1000) + Math.min(IDEMPOTENCY_TTL_SECONDS, settings.retentionDays * 86_400);
}

/**
 * The Idempotency-Key's claim on a message id: made now, or the one another request
 * made first (`undefined` only while that request's claim is not readable yet).
 */
async function claimKey(ports: Ports, tenantId: string, idempotencyKey: string, settings: MessageSettings, bodyHash: string): Promise<Item | undefined> {
  const idemPk = idempotencyPk(tenantId, idempotencyKey);
  const claim = await ports.store.get(idemPk, LOOKUP_SK);
  if (claim) return claim;
  try {
    return await ports.store.put({ pk: idemPk, sk: LOOKUP_SK, ttl: claimTtl(ports, settings), data: { bodyHash, messageId: newMessageId(ports.clock.now()) } }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return ports.store.get(idemPk, LOOKUP_SK);
  }
}

function hashBody(body: unknown): string {
  return createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

/** The recipient in the form the channel needs: E.164 for phones, a checked address for e-mail. */
export function recipient(channel: Template.Channel, to: string): string {
  if (channel !== "email") return normalizePhone(to);
  const address = z.email().safeParse(to.trim());
  if (!address.success) throw new InvalidInputError(`to: "${to.slice(0, 60)}" is not an e-mail address`);
  return address.data.toLowerCase();
}

function checkAttachments(channel: Template.Channel, attachments: z.infer<typeof SendMessage>["attachments"]) {
  const list = attachments ?? [];
  if (list.length === 0) return [];
  if (channel === "sms") throw new InvalidInputError("attachments: an SMS cannot carry attachments; send a link in a parameter instead");
  if (channel === "whatsapp") {
    if (list.length > 1 || !list[0]?.url) throw new InvalidInputError("attachments: a WhatsApp message carries one media file, given by its https url");
  } else if (list.some((attachment) => !attachment.content)) {
    throw new InvalidInputError("attachments: e-mail attachments are sent as base64 content, not by url");
  }
  const stored = list.map((attachment) => ({
    filename: attachment.filename,
    contentType: attachment.contentType,
    size: attachment.content ? Buffer.byteLength(attachment.content, "base64") : 0,
    ...(attachment.content ? { content: attachment.content } : {}),
    ...(attachment.url ? { url: attachment.url } : {}),
  }));
  const total = stored.reduce((sum, attachment) => sum + attachment.size, 0);
  if (total > MAX_ATTACHMENT_BYTES) throw new InvalidInputError(`attachments: at most ${MAX_ATTACHMENT_BYTES / 1024} KB in total (got ${Math.ceil(total / 1024)} KB)`);
  return stored;
}

export interface Submitted {
  message: Message;
  /** The Idempotency-Key was seen before with the same body: this is the earlier message. */
  replayed: boolean;
}

/**
 * Accepts a message: validates recipient, template and params, claims the
 * idempotency key, and writes the message with its outbox event for the notify
 * worker. The same key with the same body returns the same message; with another
 * body it is refused.
 */
export async function submit(
  ports: Ports,
  tenantId: string,
  input: SendMessage,
  options: { idempotencyKey: string; boundLocationId?: string; source: Message["source"] },
): Promise<Submitted> {
  const body = SendMessage.parse(input);
  if (options.boundLocationId && body.locationId && body.locationId !== options.boundLocationId) {
    throw new ForbiddenError(`this API key is bound to location ${options.boundLocationId}; it cannot send for ${body.locationId}`);
  }
  const locationId = body.locationId ?? options.boundLocationId;
  const to = recipient(body.channel, body.to);
  const attachments = checkAttachments(body.channel, body.attachments);
  const bodyHash = hashBody({ ...body, to, locationId });

  const settings = await getSettings(ports, tenantId);
  const claim = await claimKey(ports, tenantId, options.idempotencyKey, settings, bodyHash);
  if (!claim) throw new ConflictError("this Idempotency-Key is being used right now; retry in a moment");
  if (claim.data.bodyHash !== bodyHash) {
    throw new ConflictError("this Idempotency-Key was already used with a different body; use a new key for a new message");
  }
  const messageId = String(claim.data.messageId);
  const existing = await ports.store.get(messagePk(tenantId), messageId);
  if (existing) return { message: Message.parse(existing.data), replayed: true };

  const template = await Template.forMessage(ports, tenantId, body.channel, body.template, body.locale);
  const params = Template.validateParams(template, body.params);
  const { primary } = await Features.resolve(ports, tenantId, body.featureKey, locationId);
  const primaryChannel = channelOf(primary.type);
  if (primaryChannel !== body.channel) {
    throw new InvalidInputError(
      `channel: feature ${body.featureKey} sends through ${primary.name}, a ${primary.type} provider; ask for channel ${primaryChannel ?? "(none: it sends no messages)"} or map a provider for ${body.channel}`,
    );
  }
  if (!engineFor(primary.apiFormat)) throw new InvalidInputError(`feature ${body.featureKey} is mapped to ${primary.name}, whose format ${primary.apiFormat} sends no messages`);

  const at = iso(ports);
  const message = Message.parse({
    id: messageId,
    tenantId,
    locationId,
    featureKey: body.featureKey,
    channel: body.channel,
    to,
    template: template.name,
    locale: template.locale,
    params,
    attachments,
    status: "queued",
    usedFallback: false,
    attempts: [],
    history: [{ status: "queued", at, source: "api" }],
    source: options.source,
    createdAt: at,
    updatedAt: at,
    retainUntil: retainUntil(settings, ports.clock.now()),
  });
  const envelope = Event.create({ type: "message.send", id: `evt_${messageId}`, tenantId, locationId, data: { messageId } });
  try {
    await ports.store.put({ pk: messagePk(tenantId), sk: messageId, ttl: ttlOf(message), data: message, outbox: envelope }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return { message: (await load(ports, tenantId, messageId)).message, replayed: true };
  }
  return { message, replayed: false };
}


/**
 * A message the hub was asked to send but could not accept (a trigger whose event
 * lacks the recipient, a template that does not exist): kept as a failed message,
 * once per idempotency key, so the owner sees it in the messages list.
 */
export async function recordRefused(
  ports: Ports,
  tenantId: string,
  input: { featureKey: string; channel: Template.Channel; to: string; template: string; locale: string; locationId?: string },
  options: { idempotencyKey: string; source: Message["source"] },
  reason: string,
): Promise<void> {
  const settings = await getSettings(ports, tenantId);
  const claim = await claimKey(ports, tenantId, options.idempotencyKey, settings, "refused");
  if (!claim) return;
  // The claim may come from an accepted attempt (then its message exists) or a refused one.
  const messageId = String(claim.data.messageId);
  const existing = await ports.store.get(messagePk(tenantId), messageId);
  // Written before, perhaps by an attempt that stopped before its event left.
  if (existing) return emitOutcome(ports, Message.parse(existing.data));
  const at = iso(ports);
  const message = Message.parse({
    id: messageId,
    tenantId,
    locationId: input.locationId,
    featureKey: input.featureKey,
    channel: input.channel,
    to: input.to,
    template: input.template,
    locale: input.locale,
    params: {},
    status: "failed",
    error: reason,
    history: [{ status: "failed", at, source: "worker", detail: reason.slice(0, 500) }],
    source: options.source,
    createdAt: at,
    updatedAt: at,
    failedAt: at,
    retainUntil: retainUntil(settings, ports.clock.now()),
  });
  try {
    await ports.store.put({ pk: messagePk(tenantId), sk: messageId, ttl: ttlOf(message), data: message }, { ifNotExists: true });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    return;
  }
  await emitOutcome(ports, message);
}
