/**
 * The queue table: every SQS queue (and its dead-letter queue) the system has.
 * The SST events stack and the local runtime both read it.
 */
export interface QueueSpec {
  /** Receives before a message moves to the queue's dead-letter queue. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** Messages per worker invocation. */
  batchSize: number;
  /** Worker invocations at once (Lambda maximum concurrency; local pollers). */
  concurrency: number;
  description: string;
}

export const queues = {
  diag: {
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 30,
    batchSize: 10,
    concurrency: 2,
    description: "Pipeline self-test: proves outbox → bus → queue → worker end to end",
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof queues;

export const queueNames = Object.keys(queues) as QueueName[];

export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(queues, name);
}
