import type { Policy } from "./policy.ts";

/** Waits between retries. Injectable so tests do not wait in real time. */
export type Sleeper = (ms: number) => Promise<void>;

export const realSleep: Sleeper = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"): a uniform delay in [0, min(max, base · 2^(n−1))] after the
 * n-th failed attempt, so retries from many callers spread out instead of
 * arriving together.
 */
export function fullJitter(failedAttempt: number, retry: Policy["retry"], random: () => number = Math.random): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(random() * ceiling);
}
