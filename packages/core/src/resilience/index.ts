import type { Ports } from "../port.ts";
import type { Provider } from "../provider/record.ts";
import { recorder } from "../telemetry/index.ts";
import { Pipeline, type CallOptions, type CallResult, type ProviderCallOptions } from "./pipeline.ts";

/**
 * Resilience: the one call pipeline every provider call goes through (see
 * pipeline.ts for the rules), with its shared circuit breaker (breaker.ts) and
 * rate limit (rate-limit.ts), and the error classification format engines use
 * (errors.ts).
 *
 *   const { value, usedFallback } = await Resilience.call(ports, {
 *     tenantId, featureKey: "notify.sms", action: "send_sms", idempotent: false,
 *     run: async (provider, attempt) => (await attempt.fetch({ url, method: "POST", body })).body,
 *   });
 */
export { Breakers, displayState, type Admission, type BreakerState, type BreakerStatus } from "./breaker.ts";
export { fullJitter, realSleep, type Sleeper } from "./backoff.ts";
export { classify, isAvailabilityFailure, isRetryableStatus, parseRetryAfter, ProviderError, type Delivery, type ProviderErrorCode, type TrailEntry } from "./errors.ts";
export { Pipeline, type Attempt, type CallOptions, type CallResult, type PipelineOptions, type ProviderCallOptions, type Run } from "./pipeline.ts";
export { AI_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, policyOf, type Policy } from "./policy.ts";
export { RateLimiter } from "./rate-limit.ts";

/** The process's pipeline: one breaker cache and one rate-limit lease table per process. */
export const pipeline = new Pipeline({ recorder });

/** A call for a feature key: mapping → primary → (fallback). */
export function call<T>(ports: Ports, options: CallOptions<T>): Promise<CallResult<T>> {
  return pipeline.call(ports, options);
}

/** Primary then fallback, for callers that resolved the providers themselves (e.g. payments). */
export function callProviders<T>(ports: Ports, providers: { primary: Provider; fallback?: Provider }, options: ProviderCallOptions<T>): Promise<CallResult<T>> {
  return pipeline.callProviders(ports, providers, options);
}

/** A call aimed at one provider (test connection, webhook status checks). */
export function callProvider<T>(ports: Ports, provider: Provider, options: ProviderCallOptions<T>): Promise<CallResult<T>> {
  return pipeline.callProvider(ports, provider, options);
}
