import type { LocalPorts } from "@sambung/core/adapters/local/index";
import { logger } from "../log.ts";

/** How often the outbox is checked even when no write signalled it (a safety net, not the main path). */
const OUTBOX_SWEEP_MS = 1000;

/**
 * Drains the outbox as soon as a write signals, coalescing bursts into one pass;
 * a signal that arrives during a pass asks for one more, so no entry waits for the sweep.
 */
export function startOutboxLoop(ports: LocalPorts): { stop: () => Promise<void> } {
  let draining: Promise<void> | undefined;
  let again = false;
  const drain = () => {
    if (draining) {
      again = true;
      return;
    }
    draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => ports.dispatcher.drain())
      .catch((error: unknown) => {
        logger.error("outbox dispatch failed; it will be tried again", { error: error as Error });
        return 0;
      })
      .then((moved) => {
        draining = undefined;
        const more = again || moved > 0;
        again = false;
        if (more) drain();
      });
  };
  ports.database.signals.on("outbox", drain);
  const sweep = setInterval(drain, OUTBOX_SWEEP_MS);
  drain();
  return {
    stop: async () => {
      clearInterval(sweep);
      ports.database.signals.off("outbox", drain);
      again = false;
      while (draining) await draining;
    },
  };
}
