import { RateLimitedError } from "../error.ts";
import { ConditionFailedError, type Ports } from "../port.ts";

const WINDOW_MS = 60_000;

/**
 * A per-key fixed one-minute window kept in the store with conditional writes,
 * so every Lambda sharing the table counts against the same budget.
 */
export async function consumeApiKeyBudget(ports: Ports, keyId: string, perMinute: number): Promise<{ remaining: number }> {
  const now = ports.clock.now();
  const window = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const pk = `RATE#APIKEY#${keyId}`;
  const sk = String(window);
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const item = await ports.store.get(pk, sk);
    const used = typeof item?.data.used === "number" ? item.data.used : 0;
    if (used >= perMinute) {
      throw new RateLimitedError(
        `this API key may make ${perMinute} calls a minute; wait and retry`,
        Math.max(1, Math.ceil((window + WINDOW_MS - now) / 1000)),
      );
    }
    try {
      await ports.store.put(
        { pk, sk, ttl: Math.floor((window + 2 * WINDOW_MS) / 1000), data: { used: used + 1 } },
        item ? { ifVersion: item.version } : { ifNotExists: true },
      );
      return { remaining: perMinute - used - 1 };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new RateLimitedError("too many calls at once for this API key; retry", 1);
}
