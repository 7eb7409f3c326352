import { randomUUID } from "node:crypto";
import type { Ports } from "../port.ts";

/**
 * The integration call log: one item per attempt (and per call that never left
 * because the breaker was open or our rate limit spent), newest first per
 * provider, kept 30 days. Request and response summaries are PII-masked and
 * bounded before they get here (pii.ts).
 */

export const CALL_LOG_TTL_SECONDS = 30 * 86_400;

export type CallOutcome =
  /** The provider answered and the format engine took the answer. */
  | "success"
  /** Down, overloaded, timed out, unreachable, bad credentials, or an answer we could not use. */
  | "failure"
  /** The provider answered 4xx about the request itself (declined card, bad input): it is up. */
  | "rejected"
  /** Not sent: the breaker was open or our rate limit spent. Not counted in rollups. */
  | "skipped";

/** Tokens an AI call consumed, as the provider reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface CallRecord {
  id: string;
  at: string;
  tenantId: string;
  providerId: string;
  providerSlug: string;
  providerType: string;
  featureKey?: string;
  action: string;
  /** Which provider of the mapping this was, or "direct" for calls aimed at one provider. */
  role: "primary" | "fallback" | "direct";
  /** 1-based attempt on this provider within the call. */
  attempt: number;
  idempotent: boolean;
  outcome: CallOutcome;
  /** ProviderError code when it did not succeed. */
  code?: string;
  httpStatus?: number;
  latencyMs: number;
  error?: string;
  request?: string;
  response?: string;
  /** AI calls: tokens in and out, for cost per provider. */
  usage?: TokenUsage;
  correlationId?: string;
}

export const callLogPk = (tenantId: string, providerId: string) => `CALLS#${tenantId}#${providerId}`;

let sequence = 0;

/** Unique, and increasing within a process, so calls of the same millisecond keep their order. */
export function newCallId(): string {
  sequence = (sequence + 1) % 36 ** 6;
  return `${sequence.toString(36).padStart(6, "0")}${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** `at` first so the sort key orders by time; the id breaks ties. */
export const callLogSk = (record: Pick<CallRecord, "at" | "id">) => `${record.at}#${record.id}`;

export async function write(ports: Ports, record: CallRecord): Promise<void> {
  await ports.store.put({
    pk: callLogPk(record.tenantId, record.providerId),
    sk: callLogSk(record),
    ttl: Math.floor(Date.parse(record.at) / 1000) + CALL_LOG_TTL_SECONDS,
    data: Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)),
  });
}

/** A page of a provider's calls, newest first. The caller checks the provider belongs to the tenant. */
export async function page(
  ports: Ports,
  tenantId: string,
  providerId: string,
  options: { cursor?: string; limit?: number } = {},
): Promise<{ items: CallRecord[]; cursor?: string }> {
  const result = await ports.store.query(callLogPk(tenantId, providerId), {
    reverse: true,
    limit: Math.min(Math.max(options.limit ?? 50, 1), 200),
    cursor: options.cursor,
  });
  return { items: result.items.map((item) => item.data as unknown as CallRecord), ...(result.cursor ? { cursor: result.cursor } : {}) };
}
