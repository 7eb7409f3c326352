import type { LocalPorts } from "@sambung/core/adapters/local/index";
import * as Telemetry from "@sambung/core/telemetry/index";
import { logger } from "../log.ts";

/**
 * The last steps of either thread at shutdown: buffered provider-call telemetry
 * (rollup deltas, call-log items) and outbox entries written by the last requests
 * go out before the connection closes.
 */
export async function closePorts(ports: LocalPorts): Promise<void> {
  await Telemetry.flush(ports).catch((error: unknown) => logger.warn("telemetry flush at shutdown failed", { error: error as Error }));
  await ports.dispatcher.drain();
  ports.database.close();
}
