import { RateLimitedError } from "../error.ts";
import { ConditionFailedError, type Ports } from "../port.ts";

const WINDOW_MS = 60_000;
const MAX_CONFLICTS = 20;

/**
 * A per-key fixed one-minute window kept in the store with conditional writes,
 * so every Lambda sharing the table counts against the same budget.
 *
 * A process does not write the window for every call: it claims a block of up to
 * a hundredth of the budget (at most 50 calls, at least one) and spends it
 * locally, and concurrent calls in one process wait for a single claim instead of
 * racing each other's conditional writes. Every call spent was counted in the
 * shared window first, so the fleet never exceeds the budget; a block left unspent
 * when its window ends is lost, so a busy fleet may stay a little under it. A key
 * of up to 100 calls a minute is counted call by call.
 */
interface Block {
  window: number;
  left: number;
  /** The shared window was spent: refuse without asking the store again. */
  exhausted: boolean;
}

const blocks = new Map<string, Block>();
const claims = new Map<string, Promise<void>>();

function refusal(perMinute: number, window: number, now: number): RateLimitedError {
  return new RateLimitedError(`this API key may make ${perMinute} calls a minute; wait and retry`, Math.max(1, Math.ceil((window + WINDOW_MS - now) / 1000)));
}

export async function consumeApiKeyBudget(ports: Ports, keyId: string, perMinute: number): Promise<void> {
  for (;;) {
    const now = ports.clock.now();
    const window = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const block = blocks.get(keyId);
    if (block?.window === window) {
      if (block.left > 0) {
        block.left -= 1;
        return;
      }
      if (block.exhausted) throw refusal(perMinute, window, now);
    }
    const pending = claims.get(keyId);
    if (pending) {
      await pending;
      continue;
    }
    const claim = claimBlock(ports, keyId, perMinute, window).finally(() => claims.delete(keyId));
    claims.set(keyId, claim);
    await claim;
  }
}

async function claimBlock(ports: Ports, keyId: string, perMinute: number, window: number): Promise<void> {
  const pk = `RATE#APIKEY#${keyId}`;
  const sk = String(window);
  const size = Math.max(1, Math.min(50, Math.floor(perMinute / 100)));
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt += 1) {
    const item = await ports.store.get(pk, sk);
    const used = typeof item?.data.used === "number" ? item.data.used : 0;
    if (used >= perMinute) {
      blocks.set(keyId, { window, left: 0, exhausted: true });
      throw refusal(perMinute, window, ports.clock.now());
    }
    const granted = Math.min(size, perMinute - used);
    try {
      await ports.store.put(
        { pk, sk, ttl: Math.floor((window + 2 * WINDOW_MS) / 1000), data: { used: used + granted } },
        item ? { ifVersion: item.version } : { ifNotExists: true },
      );
      blocks.set(keyId, { window, left: granted, exhausted: false });
      return;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new RateLimitedError("too many calls at once for this API key; retry", 1);
}
