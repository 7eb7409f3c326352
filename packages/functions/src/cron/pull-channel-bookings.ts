import * as Channel from "@sambung/core/channel/index";
import type { ScheduledEvent } from "aws-lambda";
import { logger } from "../log.ts";
import { ports } from "../ports.ts";

export async function handler(_event: ScheduledEvent): Promise<{ queued: number }> {
  const queued = await Channel.schedulePulls(await ports());
  logger.debug("channel booking pulls queued", { queued });
  return { queued };
}
