import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { Checkpointer } from "./checkpointer.ts";

/**
 * The embedded database behind the local Store, Queue and outbox. One SQLite file
 * in WAL mode; every adapter call is synchronous underneath, so a multi-statement
 * change inside `transaction` is atomic without locks of our own.
 */
export class LocalDatabase {
  readonly db: DatabaseSync;
  /** "outbox" when an outbox entry is written; "queue:<name>" when a message is sent. */
  readonly signals = new EventEmitter();

  readonly path: string;
  private readonly checkpointer: Checkpointer | undefined;

  constructor(path: string) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA busy_timeout = 5000;
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA wal_autocheckpoint = ${path === ":memory:" ? 1000 : 0};
      CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL, sk TEXT NOT NULL,
        gsi1pk TEXT, gsi1sk TEXT, ttl INTEGER,
        version INTEGER NOT NULL, outbox TEXT, data TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        envelope TEXT NOT NULL, created_at INTEGER NOT NULL, failed_reason TEXT
      );
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL,
        sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, dead_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, dead_at, visible_at);
      CREATE INDEX IF NOT EXISTS messages_receipt ON messages (receipt) WHERE receipt IS NOT NULL;
    `);
    this.checkpointer = path === ":memory:" ? undefined : new Checkpointer(path);
  }

  private readonly statements = new Map<string, StatementSync>();

  /** A prepared statement, compiled once per SQL text: preparing costs more than running. */
  stmt(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE): all or nothing. */
  transaction<T>(fn: () => T): T {
    this.stmt("BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      this.stmt("COMMIT").run();
      return result;
    } catch (error) {
      this.stmt("ROLLBACK").run();
      throw error;
    }
  }

  private pending: { run: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  private flushScheduled = false;

  /**
   * Group commit: writes issued in the same turn of the event loop share one
   * transaction, each inside its own savepoint so one failed condition undoes only
   * its own write. A commit costs far more than a statement, so under load this
   * is what keeps many concurrent requests from queuing behind each other's fsync.
   * Each promise settles after the shared COMMIT.
   */
  grouped<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.transaction(() => {
        const savepoint = this.stmt("SAVEPOINT op");
        const release = this.stmt("RELEASE op");
        for (const op of batch) {
          savepoint.run();
          try {
            outcomes.push({ ok: true, value: op.run() });
            release.run();
          } catch (error) {
            this.stmt("ROLLBACK TO op").run();
            release.run();
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) op.resolve(outcome.value);
      else op.reject(outcome?.error);
    });
  }

  close(): void {
    this.flush();
    this.checkpointer?.stop();
    if (this.db.isOpen) this.db.close();
  }
}
