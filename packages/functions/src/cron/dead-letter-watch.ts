import * as DeadLetters from "@sambung/core/event/dead-letters";
import type { ScheduledEvent } from "aws-lambda";
import { logger } from "../log.ts";
import { ports } from "../ports.ts";

/** Warns once per run for every dead-letter queue that holds messages. */
export async function handler(_event: ScheduledEvent): Promise<{ deadQueues: string[] }> {
  const summary = await DeadLetters.summary((await ports()).queue, 1);
  const dead = summary.filter((queue) => queue.dead > 0);
  for (const queue of dead) {
    logger.warn("dead letters waiting", { queue: queue.queue, count: queue.dead, oldestAgeSeconds: queue.oldestAgeSeconds });
  }
  return { deadQueues: dead.map((queue) => queue.queue) };
}
