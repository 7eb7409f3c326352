/** Shapes of the messaging API (packages/core/src/message, packages/core/src/template) the admin app reads. */

export const CHANNELS = ["email", "whatsapp", "sms"] as const;
export type Channel = (typeof CHANNELS)[number];

export const MESSAGE_STATUSES = ["queued", "sending", "sent", "delivered", "failed", "unknown"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MessageAttempt {
  number: number;
  providerId: string;
  providerSlug: string;
  channel: Channel;
  role: "primary" | "fallback" | "direct";
  status: "sending" | "sent" | "failed" | "unknown";
  startedAt: string;
  finishedAt?: string;
  providerMessageId?: string;
  error?: string;
  errorCode?: string;
  httpStatus?: number;
  delivery?: "no" | "maybe" | "yes";
}

export interface MessageView {
  id: string;
  featureKey: string;
  channel: Channel;
  deliveredChannel?: Channel;
  to: string;
  template: string;
  locale: string;
  status: MessageStatus;
  providerSlug?: string;
  providerMessageId?: string;
  usedFallback: boolean;
  attempts: MessageAttempt[];
  history: { status: MessageStatus; at: string; source: string; rawStatus?: string; detail?: string }[];
  error?: string;
  source: { kind: "api" | "trigger"; triggerId?: string; eventId?: string };
  createdAt: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
}

export const PARAM_TYPES = ["string", "number", "date", "datetime", "url", "email", "phone"] as const;

export interface TemplateParam {
  name: string;
  type: (typeof PARAM_TYPES)[number];
  required: boolean;
}

export interface MessageTemplate {
  id: string;
  name: string;
  channel: Channel;
  locale: string;
  description?: string;
  params: TemplateParam[];
  subject?: string;
  text: string;
  html?: string;
  whatsapp?: { name: string; language: string; body: string[]; header: string[] };
  updatedAt: string;
}

export interface Rendered {
  subject?: string;
  text: string;
  html?: string;
  whatsapp?: { name: string; language: string; body: { name: string; value: string }[] };
}
