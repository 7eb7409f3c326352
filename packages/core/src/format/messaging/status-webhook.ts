import { createHash } from "node:crypto";
import { InvalidInputError } from "../../error.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord } from "../http-auth.ts";
import { firstPresent, renderFromBody, scalar, valueAtPath } from "../path.ts";
import { bareMessageId } from "./engine.ts";

/**
 * Delivery-status webhooks of every messaging vendor, read through the record
 * (one normalizer, vendors in data):
 *
 * - `webhook.bodyType`: form | json | json-array | form-or-json (default: by content type);
 * - `webhook.statusesPath`: where the status objects are (Meta / 360dialog
 *   `entry[*].changes[*].value.statuses[*]`); a JSON array body is a list of them
 *   (SendGrid); otherwise the body is one (Twilio, Mailgun, Postmark, Resend);
 * - per object: `messageIdPath`, `statusPath` (alias `eventPath`, `eventTypePath`),
 *   `errorCodePath`, `errorMessagePath`, `eventIdTemplate` / `eventIdPath`, and
 *   `messageIdPattern` (a regex whose first group is the id we got at send time:
 *   SendGrid's sg_message_id extends X-Message-Id);
 * - `deliveryStatusRules` (`[{ when: { path: value }, status }]`, first match) then
 *   `deliveryStatusMap` (vendor word → queued | sent | delivered | read | failed).
 *   Words in neither (opens, clicks) are not delivery statuses and are skipped.
 */

export type DeliveryStatus = "queued" | "sent" | "delivered" | "read" | "failed";
const STATUSES: readonly string[] = ["queued", "sent", "delivered", "read", "failed"];

export interface StatusUpdate {
  providerMessageId: string;
  status: DeliveryStatus;
  rawStatus: string;
  errorCode?: string;
  errorMessage?: string;
}

function parseBody(rawBody: string, contentType: string, bodyType: string | undefined): unknown {
  const form = bodyType === "form" || ((bodyType === undefined || bodyType === "form-or-json") && contentType.includes("x-www-form-urlencoded"));
  if (form) return Object.fromEntries(new URLSearchParams(rawBody));
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    throw new InvalidInputError(`the body is not ${bodyType === "form" ? "form-encoded" : "JSON"}`);
  }
}

function matches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return expected.some((value) => matches(actual, value));
  return actual !== undefined && actual !== null && String(actual) === String(expected);
}

function statusOf(provider: Provider, item: unknown, raw: string): DeliveryStatus | undefined {
  const rules = Array.isArray(provider.config.deliveryStatusRules) ? provider.config.deliveryStatusRules : [];
  for (const rule of rules) {
    const { when, status } = asRecord(rule);
    if (typeof status !== "string" || !STATUSES.includes(status)) continue;
    if (Object.entries(asRecord(when)).every(([path, expected]) => matches(valueAtPath(item, path), expected))) return status as DeliveryStatus;
  }
  const table = asRecord(provider.config.deliveryStatusMap);
  const mapped = table[raw] ?? Object.entries(table).find(([word]) => word.toLowerCase() === raw.toLowerCase())?.[1];
  return typeof mapped === "string" && STATUSES.includes(mapped) ? (mapped as DeliveryStatus) : undefined;
}

function messageIdOf(webhook: Record<string, unknown>, item: unknown): string | undefined {
  let id = scalar(firstPresent(item, webhook.messageIdPath).value);
  if (id && typeof webhook.messageIdPattern === "string") {
    try {
      id = new RegExp(webhook.messageIdPattern).exec(id)?.[1] ?? id;
    } catch {
      throw new InvalidInputError("config.webhook.messageIdPattern is not a valid regular expression");
    }
  }
  return bareMessageId(id);
}

/** The statuses a verified webhook reports, and an id for the delivery (for de-duplication). */
export function parseStatusWebhook(provider: Provider, request: { rawBody: string; headers: Record<string, string> }): { eventId: string; updates: StatusUpdate[] } {
  const webhook = asRecord(provider.config.webhook);
  if (webhook.messageIdPath === undefined) {
    throw new InvalidInputError(`${provider.name} has no config.webhook.messageIdPath, so its delivery statuses cannot be read; start from a preset or add the mapping`);
  }
  const body = parseBody(request.rawBody, (request.headers["content-type"] ?? "").toLowerCase(), typeof webhook.bodyType === "string" ? webhook.bodyType : undefined);
  const items: unknown[] =
    typeof webhook.statusesPath === "string"
      ? ([valueAtPath(body, webhook.statusesPath)].flat().filter((item) => item !== undefined) as unknown[])
      : Array.isArray(body)
        ? body
        : [body];
  const statusPaths = [webhook.statusPath, webhook.eventPath, webhook.eventTypePath].filter((path): path is string => typeof path === "string");
  const updates: StatusUpdate[] = [];
  const ids: string[] = [];
  for (const item of items) {
    const providerMessageId = messageIdOf(webhook, item);
    const rawStatus = scalar(firstPresent(item, statusPaths).value);
    if (!providerMessageId || !rawStatus) continue;
    const itemId =
      (typeof webhook.eventIdTemplate === "string" ? renderFromBody(webhook.eventIdTemplate, item) : undefined) ??
      (webhook.eventIdPath !== undefined ? scalar(firstPresent(item, webhook.eventIdPath).value) : undefined) ??
      `${providerMessageId}:${rawStatus}`;
    ids.push(itemId);
    const status = statusOf(provider, item, rawStatus);
    if (!status) continue;
    const errorCode = webhook.errorCodePath !== undefined ? scalar(firstPresent(item, webhook.errorCodePath).value) : undefined;
    const errorMessage = webhook.errorMessagePath !== undefined ? scalar(firstPresent(item, webhook.errorMessagePath).value) : undefined;
    updates.push({ providerMessageId, status, rawStatus, ...(errorCode ? { errorCode } : {}), ...(errorMessage ? { errorMessage: errorMessage.slice(0, 300) } : {}) });
  }
  const digest = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 40);
  const eventId = ids.length === 1 ? (ids[0] as string) : ids.length > 1 ? `batch:${digest([...ids].sort().join("\n"))}` : `body:${digest(request.rawBody)}`;
  return { eventId, updates };
}
