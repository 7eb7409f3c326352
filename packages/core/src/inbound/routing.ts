import { parseStatusWebhook } from "../format/messaging/status-webhook.ts";
import type { Provider } from "../provider/record.ts";

/**
 * Which worker a provider type's webhooks go to and which normalizer reads them:
 * messaging providers (SMS, WhatsApp, e-mail) report delivery statuses to the
 * notify worker; payment gateways (and, until they have their own route, other
 * types) go to settlement.
 */

export type InboundEventType = "inbound.payment" | "inbound.message_status" | "inbound.ota";

const MESSAGING_TYPES: ReadonlySet<string> = new Set(["sms", "whatsapp", "mail"]);

export function inboundEventFor(providerType: string): InboundEventType {
  // OTA channels that push bookings: stored once by the channel worker.
  if (providerType === "ota") return "inbound.ota";
  return MESSAGING_TYPES.has(providerType) ? "inbound.message_status" : "inbound.payment";
}

/** A messaging provider's status webhook, normalized: the statuses it reports and an event id for de-duplication. */
export function parseMessageStatus(provider: Provider, request: { rawBody: string; headers: Record<string, string> }): Record<string, unknown> & { eventId: string } {
  const { eventId, updates } = parseStatusWebhook(provider, request);
  return { eventId, updates };
}

/**
 * An OTA channel's push, normalized by its format. The OTA formats (an XML parser
 * among them, ~80 KB minified) load on the first push, so the functions that take
 * or settle payment and messaging webhooks never parse them at cold start.
 */
export async function normalizeOtaPush(provider: Provider, request: { rawBody: string; headers: Record<string, string> }): Promise<Record<string, unknown> & { eventId: string }> {
  const { normalizeOtaPush: normalize } = await import("../format/ota/push.ts");
  return normalize(provider, request);
}
