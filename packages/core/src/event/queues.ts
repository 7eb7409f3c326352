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
  deliver: {
    // Delivery retries are scheduled by the worker itself (delayed messages); the receive
    // count only catches a worker that keeps crashing on a message.
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 60,
    batchSize: 10,
    concurrency: 8,
    description: "Outgoing webhooks: fans domain events out to subscriptions, signs, sends, retries and redrives",
  },
  settle: {
    // A webhook for a payment we don't know yet is retried on the visibility timeout,
    // five times over about five minutes, then waits in the dead-letter queue for a redrive.
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 60,
    batchSize: 10,
    concurrency: 4,
    description: "Payment settlement: applies verified gateway webhooks to payments, exactly once",
  },
  channel: {
    // Failed pushes are retried by the worker itself (delayed messages, dirty state kept);
    // the receive count only catches a worker that keeps crashing on a message.
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 300,
    batchSize: 10,
    concurrency: 4,
    description: "OTA channels: coalesced ARI pushes, booking pulls, and storing channel bookings once",
  },
  notify: {
    // Visibility covers a primary and a fallback call (30 s each) plus the send claim's margin.
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 150,
    batchSize: 10,
    concurrency: 4,
    description: "Messages: sends SMS, WhatsApp and e-mail once each, applies delivery statuses, runs per-tenant message triggers",
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof queues;

export const queueNames = Object.keys(queues) as QueueName[];

export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(queues, name);
}
