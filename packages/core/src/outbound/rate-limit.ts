import { ConditionFailedError, type Ports } from "../port.ts";
import { ratePk, RATE_SK } from "./keys.ts";

/**
 * A per-subscription rate limit as a generic cell rate algorithm: each send
 * takes the next slot `1000 / rate` ms after the previous one, with a burst of
 * `rate` sends within a second. A send over the limit is not refused: it gets
 * the slot it may go at, and the caller holds the delivery until then (the slot
 * stays reserved, so the delivery does not queue again when it comes back).
 */
export interface RateDecision {
  /** Send now. */
  ok: boolean;
  /** When not ok: the reserved slot (ms since the epoch). */
  at: number;
}

export function gcra(tat: number | undefined, now: number, perSecond: number): { decision: RateDecision; tat: number } {
  const interval = 1000 / perSecond;
  const burst = 1000 - interval;
  const start = Math.max(tat ?? now, now);
  const allowedAt = start - burst;
  return { decision: { ok: allowedAt <= now, at: Math.max(now, allowedAt) }, tat: start + interval };
}

export async function takeSlot(ports: Ports, subscriptionId: string, perSecond: number): Promise<RateDecision> {
  const pk = ratePk(subscriptionId);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const now = ports.clock.now();
    const item = await ports.store.get(pk, RATE_SK);
    const stored = typeof item?.data.tat === "number" ? item.data.tat : undefined;
    const { decision, tat } = gcra(stored, now, perSecond);
    try {
      await ports.store.put(
        { pk, sk: RATE_SK, ttl: Math.ceil(tat / 1000) + 3600, data: { tat } },
        item ? { ifVersion: item.version } : { ifNotExists: true },
      );
      return decision;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  // Contention this high means the limit is far exceeded anyway: try again a second later.
  return { ok: false, at: ports.clock.now() + 1000 };
}
