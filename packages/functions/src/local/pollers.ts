import type { SqliteQueue } from "@sambung/core/adapters/local/queue";
import type { LocalDatabase } from "@sambung/core/adapters/local/database";
import type { QueueName, QueueSpec } from "@sambung/core/event/queues";
import type { Clock, ReceivedMessage } from "@sambung/core/port";
import type { WorkerState } from "@sambung/core/telemetry/system-health";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";
import { logger } from "../log.ts";
import type { WorkerHandler } from "../middleware/worker.ts";
import { lambdaContext } from "./lambda-context.ts";

/** Longest idle wait between polls; short so a test's manual clock is noticed quickly. */
const IDLE_POLL_MS = 200;

function toRecord(queue: string, message: ReceivedMessage, now: number): SQSRecord {
  return {
    messageId: message.id,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    // Computed only if a handler asks: none of ours does, and hashing every body costs.
    get md5OfBody() {
      return createHash("md5").update(message.body).digest("hex");
    },
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queue}`,
    awsRegion: "local",
  };
}

/**
 * Calls a queue's worker with SQS event batches, as the Lambda event source
 * mapping does: `concurrency` batches at once, messages the worker reports in
 * `batchItemFailures` (or a whole batch when it throws) stay on the queue and
 * come back after their visibility timeout.
 */
export class QueuePoller {
  readonly state: WorkerState = { running: false, processed: 0, failed: 0 };
  private readonly loops: Promise<void>[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly onSignal = () => {
    for (const wake of [...this.waiters]) wake();
  };

  private readonly name: QueueName;
  private readonly spec: QueueSpec;
  private readonly queue: SqliteQueue;
  private readonly database: LocalDatabase;
  private readonly clock: Clock;
  private readonly handler: WorkerHandler;

  constructor(name: QueueName, spec: QueueSpec, queue: SqliteQueue, database: LocalDatabase, clock: Clock, handler: WorkerHandler) {
    this.name = name;
    this.spec = spec;
    this.queue = queue;
    this.database = database;
    this.clock = clock;
    this.handler = handler;
  }

  start(): void {
    this.state.running = true;
    this.database.signals.on(`queue:${this.name}`, this.onSignal);
    for (let i = 0; i < this.spec.concurrency; i += 1) this.loops.push(this.loop());
  }

  /** Stops polling and waits for the batches in hand to finish. */
  async stop(): Promise<void> {
    this.state.running = false;
    this.database.signals.off(`queue:${this.name}`, this.onSignal);
    this.onSignal();
    await Promise.all(this.loops);
  }

  private async idle(): Promise<void> {
    const wait = Math.min(IDLE_POLL_MS, this.queue.nextVisibleIn(this.name) ?? IDLE_POLL_MS);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      this.waiters.add(done);
    });
  }

  private async loop(): Promise<void> {
    // A batch's ack goes out with the next receive, so both share one transaction: a commit saved per batch.
    let acked: Promise<void> = Promise.resolve();
    while (this.state.running) {
      const receiving = this.queue.receive(this.name, {
        max: this.spec.batchSize,
        visibilityTimeoutSeconds: this.spec.visibilityTimeoutSeconds,
      });
      await acked;
      let messages: ReceivedMessage[];
      try {
        messages = await receiving;
      } catch (error) {
        logger.error("queue receive failed", { queue: this.name, error: error as Error });
        await this.idle();
        continue;
      }
      if (messages.length === 0) {
        await this.idle();
        continue;
      }
      acked = this.ack(messages, await this.invoke(messages));
    }
    await acked;
  }

  /** Calls the worker with one batch; resolves to the ids of the messages it could not handle. */
  private async invoke(messages: ReceivedMessage[]): Promise<Set<string>> {
    const now = this.clock.now();
    const event: SQSEvent = { Records: messages.map((message) => toRecord(this.name, message, now)) };
    try {
      const result = await this.handler(event, lambdaContext(`worker-${this.name}`, this.spec.visibilityTimeoutSeconds * 1000));
      return new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      logger.error("worker threw; the whole batch will be retried", { queue: this.name, error: error as Error });
      return new Set(messages.map((message) => message.id));
    }
  }

  /** Deletes the handled messages; one that stays (the delete failed) comes back after its visibility timeout, as on SQS. */
  private async ack(messages: ReceivedMessage[], failedIds: Set<string>): Promise<void> {
    try {
      await this.queue.ackAll(
        this.name,
        messages.filter((message) => !failedIds.has(message.id)).map((message) => message.receiptHandle),
      );
    } catch (error) {
      logger.error("deleting handled messages failed; they will be handled again", { queue: this.name, error: error as Error });
      return;
    }
    this.state.processed += messages.length - failedIds.size;
    this.state.failed += failedIds.size;
    this.state.lastRunAt = new Date(this.clock.now()).toISOString();
  }
}
