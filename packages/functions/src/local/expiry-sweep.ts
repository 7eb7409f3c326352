import type { LocalPorts } from "@sambung/core/adapters/local/index";
import { logger } from "../log.ts";

/** How often expired items (sessions, rate-limit windows, idempotency records) are deleted. */
const SWEEP_EVERY_MS = 60_000;
const BATCH = 500;

/**
 * The local store's TTL: reads already treat an expired item as absent, and this
 * deletes them in small batches, so a hub that runs for months does not keep every
 * minute's rate-limit window and every old session.
 */
export function startExpirySweep(ports: LocalPorts, everyMs = SWEEP_EVERY_MS): { stop: () => Promise<void> } {
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= (async () => {
      try {
        while ((await ports.store.sweepExpired(BATCH)) === BATCH);
      } catch (error) {
        logger.warn("deleting expired items failed; the next sweep tries again", { error: error as Error });
      } finally {
        sweeping = undefined;
      }
    })();
  };
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}
