import type { FormatId } from "../catalog.ts";
import type { MessagingEngine, OutgoingMessage } from "./engine.ts";
import { httpEngine, mediaKind } from "./http-engine.ts";
import { sesEngine } from "./ses.ts";
import { smtpEngine } from "./smtp.ts";

export { bareMessageId, type Attachment, type MessagingEngine, type OutgoingMessage, type SendContext, type SendResult } from "./engine.ts";
export { parseStatusWebhook, type DeliveryStatus, type StatusUpdate } from "./status-webhook.ts";

/**
 * Messaging engines by format. The shapes below are what each format's API
 * documents (which record endpoint a template or media message uses, where
 * attachments go); hosts, paths, templates and response paths are the record's.
 */

const whatsappTemplateFirst = (message: OutgoingMessage) => (message.rendered.whatsapp ? ["sendTemplate"] : null);
const hasMedia = (message: OutgoingMessage) => message.attachments.some((attachment) => attachment.url);

/** Cloud API payloads (Meta and 360dialog): a media message replaces the text object with `{type: {link, caption}}`. */
function cloudApiMedia(body: Record<string, unknown>, message: OutgoingMessage, endpoint: string): Record<string, unknown> {
  const media = message.attachments.find((attachment) => attachment.url);
  if (endpoint === "sendTemplate" || !media) return body;
  const kind = mediaKind(media.contentType);
  const { text: _text, ...rest } = body;
  return {
    ...rest,
    type: kind,
    [kind]: { link: media.url, ...(kind === "document" ? { filename: media.filename } : {}), ...(kind !== "audio" && message.rendered.text ? { caption: message.rendered.text } : {}) },
  };
}

type Attachments = OutgoingMessage["attachments"];
const files = (attachments: Attachments) => attachments.filter((attachment) => attachment.content);

export const messagingEngines = {
  rest_simple: httpEngine({ endpoints: (message) => (message.rendered.whatsapp ? ["sendTemplate", "send"] : ["send"]) }),
  meta_cloud_api: httpEngine({
    endpoints: (message) => whatsappTemplateFirst(message) ?? (hasMedia(message) ? ["sendMedia", "send"] : ["send"]),
    auth: { method: "bearer" },
    credentials: { bearer: "accessToken" },
    finish: cloudApiMedia,
  }),
  "360dialog": httpEngine({
    endpoints: (message) => whatsappTemplateFirst(message) ?? (hasMedia(message) ? ["sendMedia", "send"] : ["send"]),
    auth: { method: "header_key", header: "D360-API-KEY" },
    credentials: { header: { "D360-API-KEY": "apiKey" } },
    finish: cloudApiMedia,
  }),
  twilio_whatsapp: httpEngine({
    endpoints: (message) => whatsappTemplateFirst(message) ?? ["send"],
    auth: { method: "basic" },
    credentials: { basicUsername: "accountSid", basicPassword: "authToken" },
  }),
  wati: httpEngine({
    endpoints: (message) => whatsappTemplateFirst(message) ?? ["sendSession"],
    auth: { method: "bearer" },
    credentials: { bearer: "accessToken" },
  }),
  mailgun_api: httpEngine({
    endpoints: () => ["send"],
    auth: { method: "basic" },
    credentials: { basicUsername: "api", basicPassword: "apiKey" },
  }),
  resend_api: httpEngine({
    endpoints: () => ["send"],
    auth: { method: "bearer" },
    credentials: { bearer: "apiKey" },
    // Resend docs: /docs/api-reference/emails/send-email: attachments [{ filename, content (base64) }].
    finish: (body, message) =>
      files(message.attachments).length === 0 ? body : { ...body, attachments: files(message.attachments).map((file) => ({ filename: file.filename, content: file.content, content_type: file.contentType })) },
  }),
  postmark_api: httpEngine({
    endpoints: () => ["send"],
    auth: { method: "header_key", header: "X-Postmark-Server-Token" },
    credentials: { header: { "X-Postmark-Server-Token": "serverToken" } },
    // Postmark docs: /developer/api/email-api: Attachments [{ Name, Content, ContentType }].
    finish: (body, message) =>
      files(message.attachments).length === 0 ? body : { ...body, Attachments: files(message.attachments).map((file) => ({ Name: file.filename, Content: file.content, ContentType: file.contentType })) },
  }),
  sendgrid_api: httpEngine({
    endpoints: () => ["send"],
    auth: { method: "bearer" },
    credentials: { bearer: "apiKey" },
    // v3 Mail Send: content parts need a value (a template without HTML sends text only);
    // attachments [{ content (base64), filename, type, disposition }].
    finish: (body, message) => {
      const content = Array.isArray(body.content) ? body.content.filter((part) => typeof (part as { value?: unknown }).value === "string") : body.content;
      const attached = files(message.attachments).map((file) => ({ content: file.content, filename: file.filename, type: file.contentType, disposition: "attachment" }));
      return { ...body, content, ...(attached.length > 0 ? { attachments: attached } : {}) };
    },
  }),
  smtp_generic: smtpEngine,
  ses_api: sesEngine,
} as const satisfies Partial<Record<FormatId, MessagingEngine>>;

export type MessagingFormat = keyof typeof messagingEngines;

export function engineFor(format: FormatId): MessagingEngine | undefined {
  return Object.hasOwn(messagingEngines, format) ? messagingEngines[format as MessagingFormat] : undefined;
}
