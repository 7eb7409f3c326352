import type { Channel } from "../template/record.ts";

/** Single-table keys of the message module, in one place. */
export const messagePk = (tenantId: string) => `MSG#${tenantId}`;
export const idempotencyPk = (tenantId: string, key: string) => `MSGIDEM#${tenantId}#${key}`;
/** The vendor's message id → our message, for delivery-status webhooks. */
export const providerRefPk = (providerId: string, providerMessageId: string) => `MSGREF#${providerId}#${providerMessageId}`;
export const triggerPk = (tenantId: string) => `MSGTRIGGER#${tenantId}`;
export const settingsPk = (tenantId: string) => `MSGSETTINGS#${tenantId}`;
export const SETTINGS_SK = "SETTINGS";
export const LOOKUP_SK = "LOOKUP";

/** The channel a provider type serves; undefined for types that send no messages. */
export function channelOf(providerType: string): Channel | undefined {
  if (providerType === "sms" || providerType === "whatsapp") return providerType;
  if (providerType === "mail") return "email";
  return undefined;
}

/** SMS and WhatsApp reach the same phone number; e-mail only e-mail. */
export function sameAddressKind(a: Channel, b: Channel): boolean {
  return (a === "email") === (b === "email");
}
