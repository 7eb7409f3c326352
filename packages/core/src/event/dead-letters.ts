import { z } from "zod";
import { NotFoundError } from "../error.ts";
import type { DeadLetter, Queue } from "../port.ts";
import { isQueueName, queueNames } from "./queues.ts";

export interface QueueDeadLetters {
  queue: string;
  dead: number;
  oldestAgeSeconds: number;
  visible: number;
  inFlight: number;
  delayed: number;
  sample: DeadLetter[];
}

/** Every queue's dead-letter queue with counts, oldest age and a few samples. */
export async function summary(queue: Queue, sampleSize = 3): Promise<QueueDeadLetters[]> {
  return Promise.all(
    queueNames.map(async (name) => {
      const stats = await queue.stats(name);
      return {
        queue: name,
        dead: stats.dead,
        oldestAgeSeconds: stats.oldestDeadAgeSeconds,
        visible: stats.visible,
        inFlight: stats.inFlight,
        delayed: stats.delayed,
        sample: stats.dead > 0 ? await queue.peekDead(name, sampleSize) : [],
      };
    }),
  );
}

export const RedriveRequest = z.object({
  ids: z.array(z.string().min(1)).min(1).max(1000).optional(),
  max: z.number().int().min(1).max(100_000).optional(),
});
export type RedriveRequest = z.infer<typeof RedriveRequest>;

/** Moves a queue's dead letters (all, some ids, or the oldest `max`) back to it. */
export async function redrive(queue: Queue, name: string, request: RedriveRequest): Promise<{ queue: string; moved: number }> {
  if (!isQueueName(name)) throw new NotFoundError(`queue "${name}" (there are: ${queueNames.join(", ")})`);
  const moved = await queue.redrive(name, request);
  return { queue: name, moved };
}
