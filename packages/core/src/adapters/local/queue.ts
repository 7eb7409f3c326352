import { randomUUID } from "node:crypto";
import { uuidv7 } from "../../id.ts";
import type { Clock, DeadLetter, OutgoingMessage, Queue, QueueConfig, QueueStats, ReceiveOptions, ReceivedMessage } from "../../port.ts";
import { limitRows, type LocalDatabase } from "./database.ts";

interface MessageRow {
  seq: number;
  id: string;
  queue: string;
  body: string;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  receipt: string | null;
  dead_at: number | null;
}

const MAX_DELAY_SECONDS = 900;

/** The row a receipt handle names (`<seq>:<token>`); -1, which no row has, for a handle that is not ours. */
function seqOf(receiptHandle: string): number {
  const seq = Number(receiptHandle.slice(0, receiptHandle.indexOf(":")));
  return Number.isSafeInteger(seq) ? seq : -1;
}

export class UnknownQueueError extends Error {
  readonly queue: string;

  constructor(queue: string) {
    super(`no queue named "${queue}"`);
    this.queue = queue;
    this.name = "UnknownQueueError";
  }
}

/**
 * SQS semantics on SQLite: delays up to 15 minutes, visibility timeout, receive
 * count, and a dead-letter queue that a message enters when it would be received
 * more than `maxReceiveCount` times.
 */
export class SqliteQueue implements Queue {
  private readonly configs: Map<string, QueueConfig>;

  private readonly database: LocalDatabase;
  private readonly clock: Clock;

  constructor(database: LocalDatabase, clock: Clock, configs: QueueConfig[]) {
    this.database = database;
    this.clock = clock;
    this.configs = new Map(configs.map((config) => [config.name, config]));
  }

  private config(queue: string): QueueConfig {
    const config = this.configs.get(queue);
    if (!config) throw new UnknownQueueError(queue);
    return config;
  }

  /** Inserts without a transaction of its own, so the outbox dispatcher can join one. */
  sendWithin(queue: string, messages: OutgoingMessage[]): void {
    this.config(queue);
    const now = this.clock.now();
    const insert = this.database.stmt(
      "INSERT INTO messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)",
    );
    for (const message of messages) {
      const delay = Math.min(Math.max(message.delaySeconds ?? 0, 0), MAX_DELAY_SECONDS);
      insert.run(uuidv7(), queue, message.body, now, now + delay * 1000);
    }
  }

  announce(queue: string): void {
    this.database.signals.emit(`queue:${queue}`);
  }

  async send(queue: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.database.grouped(() => this.sendWithin(queue, messages));
    this.announce(queue);
  }

  async receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]> {
    const { maxReceiveCount } = this.config(queue);
    const now = this.clock.now();
    return this.database.grouped(() => {
      const rows = this.database
        .stmt(
          `SELECT seq, id, body, sent_at, receive_count FROM messages WHERE queue = ? AND dead_at IS NULL AND visible_at <= ? ORDER BY visible_at, seq ${limitRows(Math.max(1, options.max))}`,
        )
        .all(queue, now) as unknown as Pick<MessageRow, "seq" | "id" | "body" | "sent_at" | "receive_count">[];
      if (rows.length === 0) return [];
      const taken = rows.filter((row) => row.receive_count < maxReceiveCount);
      const killed = rows.filter((row) => row.receive_count >= maxReceiveCount).map((row) => row.seq);
      if (killed.length > 0) {
        this.database
          .stmt("UPDATE messages SET dead_at = ?, receipt = NULL WHERE seq IN (SELECT value FROM json_each(?))")
          .run(now, JSON.stringify(killed));
      }
      if (taken.length === 0) return [];
      // One statement for the batch: a receipt is the row's seq (acks find it by primary key) and a token of this receive.
      const token = randomUUID();
      this.database
        .stmt(
          "UPDATE messages SET receive_count = receive_count + 1, receipt = seq || ':' || ?, visible_at = ? WHERE seq IN (SELECT value FROM json_each(?))",
        )
        .run(token, now + options.visibilityTimeoutSeconds * 1000, JSON.stringify(taken.map((row) => row.seq)));
      return taken.map((row) => ({
        id: row.id,
        receiptHandle: `${row.seq}:${token}`,
        body: row.body,
        receiveCount: row.receive_count + 1,
        sentAt: row.sent_at,
      }));
    });
  }

  async ack(queue: string, receiptHandle: string): Promise<void> {
    await this.ackAll(queue, [receiptHandle]);
  }

  /** Deletes a batch of handled messages in one write (what DeleteMessageBatch is to SQS). */
  async ackAll(queue: string, receiptHandles: string[]): Promise<void> {
    this.config(queue);
    if (receiptHandles.length === 0) return;
    const remove = this.database.stmt("DELETE FROM messages WHERE seq = ? AND queue = ? AND receipt = ?");
    await this.database.grouped(() => {
      for (const receipt of receiptHandles) remove.run(seqOf(receipt), queue, receipt);
    });
  }

  async release(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    this.config(queue);
    const visibleAt = this.clock.now() + Math.max(0, seconds) * 1000;
    await this.database.grouped(() =>
      this.database
        .stmt("UPDATE messages SET receipt = NULL, visible_at = ? WHERE seq = ? AND queue = ? AND receipt = ?")
        .run(visibleAt, seqOf(receiptHandle), queue, receiptHandle),
    );
  }

  async stats(queue: string): Promise<QueueStats> {
    this.config(queue);
    const now = this.clock.now();
    const row = this.database
      .stmt(
        `SELECT
           SUM(dead_at IS NULL AND visible_at <= ?) AS visible,
           SUM(dead_at IS NULL AND receipt IS NOT NULL AND visible_at > ?) AS in_flight,
           SUM(dead_at IS NULL AND receipt IS NULL AND visible_at > ?) AS delayed,
           SUM(dead_at IS NOT NULL) AS dead,
           MIN(dead_at) AS oldest_dead
         FROM messages WHERE queue = ?`,
      )
      .get(now, now, now, queue) as Record<string, number | null>;
    const oldestDead = row.oldest_dead ?? null;
    return {
      visible: row.visible ?? 0,
      inFlight: row.in_flight ?? 0,
      delayed: row.delayed ?? 0,
      dead: row.dead ?? 0,
      oldestDeadAgeSeconds: oldestDead === null ? 0 : Math.max(0, Math.floor((now - oldestDead) / 1000)),
    };
  }

  async peekDead(queue: string, limit: number): Promise<DeadLetter[]> {
    this.config(queue);
    const rows = this.database
      .stmt(`SELECT * FROM messages WHERE queue = ? AND dead_at IS NOT NULL ORDER BY dead_at, seq ${limitRows(Math.max(1, limit))}`)
      .all(queue) as unknown as MessageRow[];
    return rows.map((row) => ({
      id: row.id,
      body: row.body,
      receiveCount: row.receive_count,
      sentAt: row.sent_at,
      deadAt: row.dead_at ?? undefined,
    }));
  }

  async redrive(queue: string, options: { ids?: string[]; max?: number } = {}): Promise<number> {
    this.config(queue);
    const now = this.clock.now();
    const moved = await this.database.grouped(() => {
      const rows = this.database
        .stmt("SELECT seq, id FROM messages WHERE queue = ? AND dead_at IS NOT NULL ORDER BY dead_at, seq")
        .all(queue) as unknown as Pick<MessageRow, "seq" | "id">[];
      const wanted = options.ids ? new Set(options.ids) : undefined;
      const chosen = rows.filter((row) => !wanted || wanted.has(row.id)).slice(0, options.max ?? rows.length);
      const revive = this.database.stmt(
        "UPDATE messages SET dead_at = NULL, receipt = NULL, receive_count = 0, visible_at = ? WHERE seq = ?",
      );
      for (const row of chosen) revive.run(now, row.seq);
      return chosen.length;
    });
    if (moved > 0) this.announce(queue);
    return moved;
  }

  /**
   * Only this process consumes the local queues, so messages in flight at start-up
   * belonged to a process that died: make them visible now instead of waiting out
   * their visibility timeout. Their receive count stays, as on SQS.
   */
  recoverInFlight(): number {
    return Number(
      this.database
        .stmt("UPDATE messages SET receipt = NULL, visible_at = ? WHERE receipt IS NOT NULL AND dead_at IS NULL")
        .run(this.clock.now()).changes,
    );
  }

  /** Milliseconds until the next message of `queue` becomes visible, if any is waiting. */
  nextVisibleIn(queue: string): number | undefined {
    const row = this.database
      .stmt("SELECT MIN(visible_at) AS next FROM messages WHERE queue = ? AND dead_at IS NULL")
      .get(queue) as { next: number | null };
    return row.next === null ? undefined : Math.max(0, row.next - this.clock.now());
  }
}
