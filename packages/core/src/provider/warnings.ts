import type { Provider } from "./record.ts";

/**
 * What an owner should fix or knowingly accept in a provider record, shown with the
 * record (GET /api/admin/providers…). Today: how its webhooks are verified, and an
 * OpenTravel channel that brings no bookings in. Only
 * payment gateways and OTA channels are checked — their webhooks move money and
 * create bookings; a forged delivery status or a type that takes no webhooks is
 * not worth the noise.
 */

const CHECKED_TYPES: ReadonlySet<string> = new Set(["payment", "ota"]);

function signatureMethod(provider: Pick<Provider, "config">): string | undefined {
  const signature = provider.config.signature;
  if (typeof signature !== "object" || signature === null) return undefined;
  const method = (signature as { method?: unknown }).method;
  return typeof method === "string" && method !== "" ? method : undefined;
}

function signatureWarnings(provider: Pick<Provider, "type" | "config">): string[] {
  const method = signatureMethod(provider);
  const what = provider.type === "ota" ? "bookings" : "payment notifications";
  if (method === "none") {
    return [`config.signature.method is "none": anyone who knows this provider's webhook URL can post ${what} to it. Set the verification the vendor documents (HTTP Basic credentials, an HMAC signature or a shared token).`];
  }
  if (method === undefined && provider.type === "ota") {
    return [`config.signature is not set, so bookings this channel pushes are refused (401). Set the verification the channel uses (postmark_basic_auth for HTTP Basic credentials, meta_hub_signature for an HMAC header, xendit_callback_token for a shared token), or method "none" to accept unsigned pushes.`];
  }
  return [];
}

/** An OpenTravel channel record with no reservation queue and no booking API of its own brings no bookings in. */
function bookingSourceWarnings(provider: Pick<Provider, "type" | "config" | "apiFormat">): string[] {
  if (provider.type !== "ota" || provider.apiFormat !== "opentravel_xml") return [];
  const has = (value: unknown, key: string) => typeof value === "object" && value !== null && Boolean((value as Record<string, unknown>)[key]);
  if (has(provider.config.endpoints, "reservations") || has(provider.config.bookings, "dialect")) return [];
  return ["config.endpoints.reservations and config.bookings.dialect are both missing, so no bookings are pulled from this channel (it takes ARI only). Add the channel's reservation endpoints, or its own booking API (config.bookings.dialect with its endpoints), as its preset describes."];
}

export function warningsOf(provider: Pick<Provider, "type" | "config" | "apiFormat">): string[] {
  if (!CHECKED_TYPES.has(provider.type)) return [];
  return [...signatureWarnings(provider), ...bookingSourceWarnings(provider)];
}
