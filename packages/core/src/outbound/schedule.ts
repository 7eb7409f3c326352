import { randomInt } from "node:crypto";

/** Seconds to wait after failed attempt n (1-based) before attempt n + 1; after the last, the delivery is dead. */
export const RETRY_DELAYS_SECONDS = [1, 5, 30, 300, 3600] as const;

/** Attempts a delivery gets per cycle (the first one and every retry); a redrive starts a new cycle. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** SQS holds a message back at most this long; longer waits are chained. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * The wait after failed attempt `attempt` of a cycle, in whole seconds (what a
 * queue delay can express), or undefined when the delivery has no attempt left.
 * Jitter adds up to a tenth of the delay, whole seconds only, so the short first
 * retries stay exact and a burst of failures does not come back all at once.
 */
export function retryDelaySeconds(attempt: number, random: (maxExclusive: number) => number = (max) => randomInt(max)): number | undefined {
  const base = RETRY_DELAYS_SECONDS[attempt - 1];
  if (base === undefined) return undefined;
  return base + random(Math.floor(base / 10) + 1);
}

/** The delay for a queue message due at `dueAt`: whole seconds, capped at the SQS maximum (the rest is chained). */
export function queueDelaySeconds(dueAt: number, now: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now) / 1000)));
}
