import { z } from "zod";
import * as Audit from "../audit/index.ts";
import type { Ports } from "../port.ts";
import type { Principal } from "../tenant/model.ts";
import { settingsPk, SETTINGS_SK } from "./keys.ts";

/**
 * Per-tenant message settings. Messages hold personal data (recipient, template
 * parameters, attachments), so each is kept `retentionDays` after it was
 * accepted and then dropped by the store's TTL — like the inbound webhook log,
 * which keeps its records 90 days.
 */

export const DEFAULT_RETENTION_DAYS = 90;

export const MessageSettings = z
  .object({
    retentionDays: z.number().int("retentionDays is a whole number of days").min(1).max(3650).default(DEFAULT_RETENTION_DAYS),
  })
  .strict();
export type MessageSettings = z.infer<typeof MessageSettings>;

export async function getSettings(ports: Ports, tenantId: string): Promise<MessageSettings> {
  const item = await ports.store.get(settingsPk(tenantId), SETTINGS_SK);
  return MessageSettings.parse(item?.data ?? {});
}

/** Changes apply to messages accepted from now on; stored ones keep the retention they were accepted with. */
export async function putSettings(ports: Ports, principal: Principal, input: z.input<typeof MessageSettings>): Promise<MessageSettings> {
  const settings = MessageSettings.parse(input);
  await ports.store.put({ pk: settingsPk(principal.tenantId), sk: SETTINGS_SK, data: settings });
  await Audit.record(ports, principal, { action: "message.settings_updated", target: "message-settings", changed: Object.keys(input) });
  return settings;
}

/** When a message accepted at `acceptedMs` is dropped. */
export function retainUntil(settings: MessageSettings, acceptedMs: number): string {
  return new Date(acceptedMs + settings.retentionDays * 86_400_000).toISOString();
}

/** The store TTL (epoch seconds) of a message and of the records that point at it; messages stored before retention existed get the default. */
export function ttlOf(message: { retainUntil?: string; createdAt: string }): number {
  const until = message.retainUntil ? Date.parse(message.retainUntil) : Date.parse(message.createdAt) + DEFAULT_RETENTION_DAYS * 86_400_000;
  return Math.floor(until / 1000);
}
