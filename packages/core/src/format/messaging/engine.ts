import type { Ports } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import type { Attempt } from "../../resilience/pipeline.ts";
import { ProviderError, type Delivery } from "../../resilience/errors.ts";
import type { Channel, Rendered } from "../../template/index.ts";

/**
 * A messaging format engine sends one rendered message through one provider
 * record. The record holds everything vendor-specific (endpoints, request
 * templates, response paths); the engine knows the format. Engines run inside
 * the resilience pipeline and throw ProviderError with an honest `delivery`:
 * "no" only when the provider certainly did not take the message (so a
 * fallback cannot double-send).
 */

export interface Attachment {
  filename: string;
  contentType: string;
  /** Base64 content (e-mail). */
  content?: string;
  /** A public https URL (WhatsApp media). */
  url?: string;
}

export interface OutgoingMessage {
  /** Our message id: the idempotency key for vendors that take one. */
  id: string;
  /** The channel this provider serves (a fallback may serve another than the message's). */
  channel: Channel;
  /** E.164 for sms / whatsapp, an address for email. */
  to: string;
  rendered: Rendered;
  attachments: Attachment[];
  /** Where the vendor should post delivery statuses, when the hub knows its public URL. */
  statusCallbackUrl?: string;
}

export interface SendContext {
  ports: Ports;
  provider: Provider;
  secrets: Record<string, string>;
  baseUrl: string;
  attempt: Attempt;
}

export interface SendResult {
  /** The vendor's id for the message: what its status webhooks name. */
  providerMessageId?: string;
  rawStatus?: string;
}

export interface MessagingEngine {
  send(context: SendContext, message: OutgoingMessage): Promise<SendResult>;
  /** The vendor honours the idempotency key we send: a repeat with the same key sends nothing new. */
  takesIdempotencyKey(provider: Provider): boolean;
}

/** The record cannot send this (missing endpoint or setting): nothing left us. */
export function configProblem(provider: Provider, message: string): ProviderError {
  return new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: ${message}` });
}

export function vendorRefused(provider: Provider, message: string, options: { status?: number; retryable?: boolean; delivery?: Delivery } = {}): ProviderError {
  const status = options.status;
  const code = status === 429 ? "throttled" : status === 401 || status === 403 ? "auth" : options.retryable ? "unavailable" : "rejected";
  return new ProviderError({ code, status, retryable: options.retryable ?? false, delivery: options.delivery ?? "yes", message: `${provider.name} refused the message: ${message}` });
}

/** Vendor message ids are compared bare: Mailgun answers "<id@domain>" and reports "id@domain". */
export function bareMessageId(value: string | undefined): string | undefined {
  const trimmed = value?.trim().replace(/^<|>$/g, "");
  return trimmed ? trimmed : undefined;
}
