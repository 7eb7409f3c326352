import type { LocalBus } from "./bus.ts";
import { limitRows, type LocalDatabase } from "./database.ts";
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

  /**
   * Dispatches up to `max` pending entries; resolves to how many left the outbox.
   * Read, route and remove share one grouped write, so two drains never route the
   * same entry and the commit is shared with the writes of the same tick.
   */
  async drain(max = 500): Promise<number> {
    const { moved, touched } = await this.database.grouped(() => {
      const rows = this.database
        .stmt(`SELECT seq, envelope FROM outbox WHERE failed_reason IS NULL ORDER BY seq ${limitRows(max)}`)
        .all() as unknown as OutboxRow[];
      const touched = new Set<string>();
      let moved = 0;
      const remove = this.database.stmt("DELETE FROM outbox WHERE seq = ?");
      const fail = this.database.stmt("UPDATE outbox SET failed_reason = ? WHERE seq = ?");
      for (const row of rows) {
        try {
          // The store validated the envelope when it wrote the row; only its type is needed to route it.
          const { type } = JSON.parse(row.envelope) as { type: string };
          const targets = this.bus.routeSerialized(type, row.envelope);
          for (const target of targets) touched.add(target);
          remove.run(row.seq);
          moved += 1;
        } catch (error) {
          fail.run(error instanceof Error ? error.message : String(error), row.seq);
        }
      }
      return { moved, touched };
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
