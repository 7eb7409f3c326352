import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeadLetter, OutgoingMessage, Queue, QueueStats, ReceiveOptions, ReceivedMessage } from "../../port.ts";
import { UnknownQueueError } from "../local/queue.ts";

export interface QueueUrls {
  url: string;
  dlqUrl: string;
}

export interface SqsQueueOptions {
  /**
   * Long-poll seconds for dead-letter sweeps (peek, redrive). Short polling samples
   * only some SQS hosts and can come back empty while messages remain, so a sweep
   * that stops on an empty answer needs long polling to be sure; emulators do not.
   */
  sweepWaitSeconds?: number;
}

const BATCH = 10;
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
/** Long enough that a sweep does not see its own messages twice; they are released at the end. */
const SWEEP_HOLD_SECONDS = 60;

/**
 * The Queue port over SQS. Moving a message to its dead-letter queue is SQS's own
 * RedrivePolicy (maxReceiveCount), set by the events stack; nothing here does it.
 */
export class SqsQueue implements Queue {
  private readonly client: SQSClient;
  private readonly queues: Record<string, QueueUrls>;
  private readonly sweepWaitSeconds: number;

  constructor(client: SQSClient, queues: Record<string, QueueUrls>, options: SqsQueueOptions = {}) {
    this.client = client;
    this.queues = queues;
    this.sweepWaitSeconds = options.sweepWaitSeconds ?? 1;
  }

  private urls(queue: string): QueueUrls {
    const urls = this.queues[queue];
    if (!urls) throw new UnknownQueueError(queue);
    return urls;
  }

  async send(queue: string, messages: OutgoingMessage[]): Promise<void> {
    const { url } = this.urls(queue);
    await this.sendBatches(
      url,
      messages.map((message) => ({ body: message.body, delaySeconds: clamp(message.delaySeconds ?? 0, 0, MAX_DELAY_SECONDS) })),
    );
  }

  /**
   * Fails loudly on any entry SQS refused. Earlier chunks are already sent by then,
   * so a caller that retries the whole call may deliver some twice: at-least-once,
   * as every consumer here already assumes.
   */
  private async sendBatches(url: string, messages: { body: string; delaySeconds: number }[]): Promise<void> {
    for (let start = 0; start < messages.length; start += BATCH) {
      const entries: SendMessageBatchRequestEntry[] = messages.slice(start, start + BATCH).map((message, index) => ({
        Id: String(index),
        MessageBody: message.body,
        DelaySeconds: message.delaySeconds,
      }));
      const { Failed = [] } = await this.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
      if (Failed.length > 0) {
        const reasons = Failed.map((entry) => `#${start + Number(entry.Id)}: ${entry.Code ?? "?"} ${entry.Message ?? ""}`.trim());
        throw new Error(`SQS refused ${Failed.length} of ${entries.length} messages: ${reasons.join("; ")}`);
      }
    }
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const { url } = this.urls(queue);
    // SQS hands out at most 10 per call; batch sizes in the queue table stay within that.
    const messages = await this.receiveFrom(url, clamp(options.max, 1, BATCH), options.visibilityTimeoutSeconds, 0);
    return messages.map((message) => ({
      id: message.MessageId ?? "",
      receiptHandle: message.ReceiptHandle ?? "",
      body: message.Body ?? "",
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    }));
  }

  private async receiveFrom(url: string, max: number, visibilitySeconds: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        VisibilityTimeout: clamp(visibilitySeconds, 0, MAX_VISIBILITY_SECONDS),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
    );
    return Messages;
  }

  async ack(queue: string, receiptHandle: string): Promise<void> {
    const { url } = this.urls(queue);
    await this.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandle }));
  }

  async release(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.setVisibility(this.urls(queue).url, receiptHandle, seconds);
  }

  private async setVisibility(url: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: clamp(seconds, 0, MAX_VISIBILITY_SECONDS),
      }),
    );
  }

  /**
   * Counts are SQS's approximate ones. SQS does not record when a message entered
   * the dead-letter queue, so `oldestDeadAgeSeconds` is the age since the oldest of
   * a few peeked dead letters was first sent: an upper bound, 0 when none is seen.
   */
  async stats(queue: string): Promise<QueueStats> {
    const { url, dlqUrl } = this.urls(queue);
    const [main, dead] = await Promise.all([this.counts(url), this.counts(dlqUrl)]);
    const deadCount = dead.visible + dead.inFlight;
    const oldestSentAt = deadCount > 0 ? Math.min(...(await this.peekDead(queue, BATCH)).map((letter) => letter.sentAt)) : Infinity;
    return {
      visible: main.visible,
      inFlight: main.inFlight,
      delayed: main.delayed,
      dead: deadCount,
      oldestDeadAgeSeconds: Number.isFinite(oldestSentAt) ? Math.max(0, Math.floor((Date.now() - oldestSentAt) / 1000)) : 0,
    };
  }

  private async counts(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const { Attributes = {} } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /**
   * Receives from the dead-letter queue and makes the messages visible again at
   * once. Each peek counts as a receive there, so a dead letter's receive count
   * grows with every look; the DLQ has no redrive policy, so nothing moves.
   */
  async peekDead(queue: string, limit: number): Promise<DeadLetter[]> {
    const { dlqUrl } = this.urls(queue);
    const held = await this.sweep(dlqUrl, Math.max(1, limit));
    await this.releaseAll(dlqUrl, held);
    return held.map((message) => ({
      id: message.MessageId ?? "",
      body: message.Body ?? "",
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    }));
  }

  /**
   * Sends dead letters to the source queue as new messages (fresh receive count,
   * new message id), then deletes them from the DLQ: a crash in between duplicates,
   * never loses. Messages not chosen are held during the sweep and released after.
   */
  async redrive(queue: string, options: { ids?: string[]; max?: number } = {}): Promise<number> {
    const { url, dlqUrl } = this.urls(queue);
    const wanted = options.ids ? new Set(options.ids) : undefined;
    const max = Math.min(options.max ?? Infinity, wanted?.size ?? Infinity);
    const skipped: Message[] = [];
    let moved = 0;
    try {
      while (moved < max) {
        const batch = await this.receiveFrom(dlqUrl, clamp(max - moved, 1, BATCH), SWEEP_HOLD_SECONDS, this.sweepWaitSeconds);
        if (batch.length === 0) break;
        const chosen: Message[] = [];
        for (const message of batch) {
          if ((!wanted || wanted.has(message.MessageId ?? "")) && moved + chosen.length < max) chosen.push(message);
          else skipped.push(message);
        }
        if (chosen.length === 0) continue;
        await this.sendBatches(url, chosen.map((message) => ({ body: message.Body ?? "", delaySeconds: 0 })));
        for (const message of chosen) {
          await this.client.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.ReceiptHandle }));
        }
        moved += chosen.length;
      }
    } finally {
      await this.releaseAll(dlqUrl, skipped);
    }
    return moved;
  }

  /** Receives up to `limit` messages, holding each so the sweep sees it once. */
  private async sweep(url: string, limit: number): Promise<Message[]> {
    const held: Message[] = [];
    while (held.length < limit) {
      const batch = await this.receiveFrom(url, clamp(limit - held.length, 1, BATCH), SWEEP_HOLD_SECONDS, this.sweepWaitSeconds);
      if (batch.length === 0) break;
      held.push(...batch);
    }
    return held;
  }

  private async releaseAll(url: string, messages: Message[]): Promise<void> {
    await Promise.all(messages.map((message) => this.setVisibility(url, message.ReceiptHandle ?? "", 0)));
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(Math.floor(value), min), max);
}
