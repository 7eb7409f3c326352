import { ConditionFailedError, type Ports } from "../port.ts";
import type { Provider } from "../provider/record.ts";
import { RATE_SK, resiliencePk } from "./keys.ts";
import type { Policy } from "./policy.ts";

/**
 * A token bucket per provider (`config.rateLimit = { perSecond, burst }`), shared
 * by every process through one store item updated with conditional writes.
 *
 * A process does not write the bucket for every call: it takes a lease of up to a
 * tenth of a second's worth of tokens (at least one) and spends them locally; a
 * lease it has not used up within a second is dropped, never handed back. So
 * the fleet together never exceeds the provider's rate (every token spent was
 * taken from the shared bucket first), at the price of sometimes staying a little
 * under it; and a bucket found empty is remembered locally until it refills, so
 * an exhausted limit costs no store round trips either.
 */

const LEASE_MS = 1_000;
const MAX_CONFLICTS = 50;

interface Lease {
  tokens: number;
  expiresAt: number;
  /** The shared bucket was empty: no need to ask again before this. */
  emptyUntil: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export class RateLimiter {
  private readonly leases = new Map<string, Lease>();

  clear(): void {
    this.leases.clear();
  }

  async take(ports: Ports, provider: Provider, limit: NonNullable<Policy["rateLimit"]>): Promise<Take> {
    const now = ports.clock.now();
    const lease = this.leases.get(provider.id);
    if (lease) {
      if (lease.tokens >= 1 && lease.expiresAt > now) {
        lease.tokens -= 1;
        return { ok: true };
      }
      if (lease.emptyUntil > now) return { ok: false, retryAfterMs: lease.emptyUntil - now };
    }
    const leaseSize = Math.max(1, Math.min(limit.burst, Math.floor(limit.perSecond / 10)));
    for (let round = 0; round < MAX_CONFLICTS; round += 1) {
      const at = ports.clock.now();
      const item = await ports.store.get(resiliencePk(provider.id), RATE_SK);
      const stored = item?.data as { tokens?: number; at?: number } | undefined;
      const elapsed = Math.max(0, at - (stored?.at ?? at));
      const tokens = Math.min(limit.burst, (stored?.tokens ?? limit.burst) + (elapsed * limit.perSecond) / 1000);
      if (tokens < 1) {
        const retryAfterMs = Math.max(1, Math.ceil(((1 - tokens) * 1000) / limit.perSecond));
        this.leases.set(provider.id, { tokens: 0, expiresAt: at, emptyUntil: at + retryAfterMs });
        return { ok: false, retryAfterMs };
      }
      const granted = Math.min(Math.floor(tokens), leaseSize);
      try {
        await ports.store.put(
          { pk: resiliencePk(provider.id), sk: RATE_SK, data: { tokens: tokens - granted, at, providerId: provider.id } },
          item ? { ifVersion: item.version } : { ifNotExists: true },
        );
      } catch (error) {
        if (error instanceof ConditionFailedError) continue;
        throw error;
      }
      this.leases.set(provider.id, { tokens: granted - 1, expiresAt: at + LEASE_MS, emptyUntil: 0 });
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(1000 / limit.perSecond) };
  }
}
