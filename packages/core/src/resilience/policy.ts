import { z } from "zod";
import type { Provider } from "../provider/record.ts";

/** Timeout when neither the call nor the record says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** AI completions stream for a long time before the last token. */
export const AI_TIMEOUT_MS = 120_000;

/**
 * The resilience settings of one provider, from its record's `config`:
 * `rateLimit: { perSecond, burst }` (absent = unlimited), `breaker: { failureThreshold,
 * openSeconds }`, `timeoutMs`, `retry: { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs }`.
 * Bad values fall back to the defaults: a typo in a record must not stop calls.
 */
export interface Policy {
  rateLimit?: { perSecond: number; burst: number };
  breaker: { failureThreshold: number; openSeconds: number };
  timeoutMs: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };
}

const RateLimit = z.object({ perSecond: z.number().positive().max(100_000), burst: z.number().int().min(1).max(1_000_000).optional() });
const Breaker = z.object({
  failureThreshold: z.number().int().min(1).max(1000).default(3),
  openSeconds: z.number().min(1).max(86_400).default(60),
});
const Retry = z.object({
  maxAttempts: z.number().int().min(1).max(10).default(3),
  baseDelayMs: z.number().int().min(0).max(60_000).default(200),
  maxDelayMs: z.number().int().min(0).max(300_000).default(5_000),
  /** A Retry-After longer than this is not waited for: the call moves to the fallback. */
  maxRetryAfterMs: z.number().int().min(0).max(300_000).default(10_000),
});
const Timeout = z.number().int().min(1).max(900_000);

const cache = new WeakMap<Provider, Policy>();

export function policyOf(provider: Provider): Policy {
  const cached = cache.get(provider);
  if (cached) return cached;
  const config = provider.config;
  const rate = RateLimit.safeParse(config.rateLimit);
  const breaker = Breaker.safeParse(config.breaker ?? {});
  const retry = Retry.safeParse(config.retry ?? {});
  const timeout = Timeout.safeParse(config.timeoutMs);
  const policy: Policy = {
    rateLimit: rate.success ? { perSecond: rate.data.perSecond, burst: rate.data.burst ?? Math.max(1, Math.ceil(rate.data.perSecond)) } : undefined,
    breaker: breaker.success ? breaker.data : { failureThreshold: 3, openSeconds: 60 },
    timeoutMs: timeout.success ? timeout.data : provider.type === "ai" ? AI_TIMEOUT_MS : DEFAULT_TIMEOUT_MS,
    retry: retry.success ? retry.data : { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 },
  };
  cache.set(provider, policy);
  return policy;
}
