import middy from "@middy/core";
import { NotKnownYetError } from "@sambung/core/error";
import * as Event from "@sambung/core/event/index";
import type { Envelope } from "@sambung/core/event/envelope";
import { parseQueueBody } from "@sambung/core/event/queue-body";
import type { Ports } from "@sambung/core/port";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { logger } from "../log.ts";
import { logContext } from "./log-context.ts";
import { ports } from "../ports.ts";

export interface WorkItem {
  envelope: Envelope & { type: Event.EventType };
  /** 1 on the first delivery; grows with every retry. */
  receiveCount: number;
  record: SQSRecord;
  ports: Ports;
}

export type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * An SQS worker with partial batch responses: each record is handled on its own,
 * and only the ones that failed are reported back, so SQS retries those and
 * moves them to the dead-letter queue after the queue's receive count.
 */
export function worker(fn: (item: WorkItem) => Promise<void>): WorkerHandler {
  const core = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const p = await ports();
    const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
    // Records of a batch are independent (standard queues promise no order), so they
    // run side by side and their writes share commits.
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          // Plain JSON locally; on AWS the outbox pipe's DynamoDB JSON, unmarshalled here.
          const envelope = Event.parse(parseQueueBody(record.body));
          await fn({ envelope, receiveCount: Number(record.attributes.ApproximateReceiveCount), record, ports: p });
        } catch (error) {
          // A message ahead of what it refers to is an expected wait; anything else is worth a look.
          logger[error instanceof NotKnownYetError ? "info" : "warn"]("message failed; it will be retried", {
            messageId: record.messageId,
            receiveCount: record.attributes.ApproximateReceiveCount,
            error: error instanceof Error ? error.message : String(error),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  };
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().use(logContext()).handler(core);
}
