import * as Telemetry from "@sambung/core/telemetry/index";
import type { ScheduledEvent } from "aws-lambda";
import { logger } from "../log.ts";
import { ports } from "../ports.ts";

/** Evaluates the failure-rate alert of every provider with calls in the last two hours; raises provider.alerting once per incident. */
export async function handler(_event: ScheduledEvent): Promise<{ evaluated: number; alerting: string[] }> {
  const p = await ports();
  await Telemetry.flush(p);
  const result = await Telemetry.watch(p);
  for (const providerId of result.alerting) logger.warn("provider alerting: failure rate over the last hour above the threshold", { providerId });
  return result;
}
