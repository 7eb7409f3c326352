import { Envelope } from "../../event/envelope.ts";
import type { LocalBus } from "./bus.ts";
import type { LocalDatabase } from "./database.ts";
import type { SqliteQueue } from "./queue.ts";

interface OutboxRow {
  seq: number;
  envelope: string;
}

export interface DispatchStats {
  dispatched: number;
  failed: number;
  pending: number;
}

/**
 * Moves outbox entries to their queues. Routing and removal happen in one
 * SQLite transaction with the queue insert, so an entry is never lost and never
 * routed twice, even if the process dies mid-way. An entry that cannot be routed
 * (its type left the catalog) stays in the outbox with the reason, for on-call.
 */
export class OutboxDispatcher {
  private dispatched = 0;

  private readonly database: LocalDatabase;
  private readonly bus: LocalBus;
  private readonly queue: SqliteQueue;

  constructor(database: LocalDatabase, bus: LocalBus, queue: SqliteQueue) {
    this.database = database;
    this.bus = bus;
    this.queue = queue;
  }

  /** Dispatches up to `max` pending entries; returns how many left the outbox. */
  drain(max = 500): number {
    const rows = this.database
      .stmt("SELECT seq, envelope FROM outbox WHERE failed_reason IS NULL ORDER BY seq LIMIT ?")
      .all(max) as unknown as OutboxRow[];
    if (rows.length === 0) return 0;
    const touched = new Set<string>();
    let moved = 0;
    this.database.transaction(() => {
      const remove = this.database.stmt("DELETE FROM outbox WHERE seq = ?");
      const fail = this.database.stmt("UPDATE outbox SET failed_reason = ? WHERE seq = ?");
      for (const row of rows) {
        try {
          const targets = this.bus.routeWithin(Envelope.parse(JSON.parse(row.envelope)));
          for (const target of targets) touched.add(target);
          remove.run(row.seq);
          moved += 1;
        } catch (error) {
          fail.run(error instanceof Error ? error.message : String(error), row.seq);
        }
      }
    });
    this.dispatched += moved;
    for (const target of touched) this.queue.announce(target);
    return moved;
  }

  stats(): DispatchStats {
    const row = this.database
      .stmt("SELECT SUM(failed_reason IS NULL) AS pending, SUM(failed_reason IS NOT NULL) AS failed FROM outbox")
      .get() as { pending: number | null; failed: number | null };
    return { dispatched: this.dispatched, pending: row.pending ?? 0, failed: row.failed ?? 0 };
  }
}
