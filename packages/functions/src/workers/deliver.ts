import middy from "@middy/core";
import { parseQueueBody } from "@sambung/core/event/queue-body";
import * as Outbound from "@sambung/core/outbound/index";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { logger } from "../log.ts";
import { logContext } from "../middleware/log-context.ts";
import { ports } from "../ports.ts";
import type { WorkerHandler } from "../middleware/worker.ts";

/**
 * The `deliver` queue carries domain events (fanned out to subscriptions) and the
 * module's own messages (attempts, redrive-job steps), so it parses bodies itself
 * instead of the envelope-only `worker` middleware; partial batch responses as there.
 */
export const handler: WorkerHandler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(logContext())
  .handler(async (event) => {
    const p = await ports();
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          // Domain events from the outbox pipe arrive as DynamoDB JSON on AWS; parseQueueBody unmarshalls them.
          await Outbound.handleMessage(p, parseQueueBody(record.body));
        } catch (error) {
          logger.warn("deliver message failed; it will be retried", {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: error instanceof Error ? error.message : String(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  });
