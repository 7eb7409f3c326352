import { EventEmitter } from "node:events";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { Checkpointer } from "./checkpointer.ts";

/** How long a write waits for another connection's transaction before it fails. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * The tables, each with what marks a definition that data directories were first
 * written with and that is copied into the current one on start:
 * - items was WITHOUT ROWID. Such a table keeps whole rows in its key b-tree, and
 *   a row over ~1 KB (a stored webhook, a payment) overflows its page, so each key
 *   comparison on the way down read the overflow chain: a cached point read of a
 *   stored webhook took 26 µs against 8 µs with a rowid table and a (pk, sk) index,
 *   and the file was 75% larger.
 * - outbox and messages had a unique id index, a receipt index (an ack finds its row
 *   by the seq in the receipt) and AUTOINCREMENT (a counter row rewritten by every
 *   insert): each one more page to write on every send, receive and ack. `seq`
 *   still orders rows: a new one is always above every row left.
 */
const TABLES = {
  items: {
    definition: "pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT, gsi1sk TEXT, ttl INTEGER, version INTEGER NOT NULL, outbox TEXT, data TEXT NOT NULL",
    outdated: /WITHOUT ROWID/,
  },
  outbox: {
    definition: "seq INTEGER PRIMARY KEY, envelope TEXT NOT NULL, created_at INTEGER NOT NULL, failed_reason TEXT",
    outdated: /UNIQUE|AUTOINCREMENT/,
  },
  messages: {
    definition: `seq INTEGER PRIMARY KEY, id TEXT NOT NULL, queue TEXT NOT NULL, body TEXT NOT NULL,
    sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, dead_at INTEGER`,
    outdated: /UNIQUE|AUTOINCREMENT/,
  },
};

interface PendingOp {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * A LIMIT clause with the row count written into the SQL. SQLite's planner reads the
 * value bound to `LIMIT ?` and marks the statement expired whenever that parameter
 * is bound again, so a bound LIMIT parsed and planned the statement anew on every
 * run (a queue receive took 14 µs instead of 7.5 µs). Each count compiles once
 * into the statement cache; callers pass a handful of distinct, bounded counts.
 */
export function limitRows(rows: number): string {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`a row limit must be a whole number ≥ 0, got ${rows}`);
  return `LIMIT ${rows}`;
}

function isBusy(error: unknown): boolean {
  return typeof error === "object" && error !== null && "errcode" in error && (Number(error.errcode) & 0xff) === 5;
}

/**
 * The embedded database behind the local Store, Queue and outbox. One SQLite file
 * in WAL mode; every write goes through `grouped`, whose function runs synchronously
 * inside a write transaction, so a multi-statement change is atomic without locks
 * of our own. Two connections may share the file (the runtime's request thread and
 * its background thread): WAL lets their reads run side by side, and a group commit
 * that finds the other one writing waits for it without stopping its event loop.
 */
export class LocalDatabase {
  readonly db: DatabaseSync;
  /** "outbox" when an outbox entry is written; "queue:<name>" when a message is sent. */
  readonly signals = new EventEmitter();

  readonly path: string;
  private readonly checkpointer: Checkpointer | undefined;

  /**
   * `checkpointer: false` for a second connection to a file whose first connection
   * already runs one (the local runtime's background thread).
   */
  constructor(path: string, options: { checkpointer?: boolean } = {}) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA wal_autocheckpoint = ${path === ":memory:" ? 1000 : 0};
    `);
    for (const [name, table] of Object.entries(TABLES)) this.rebuildIfOutdated(name, table);
    // After the rebuilds: dropping an outdated table dropped its indexes.
    this.db.exec(`
      CREATE UNIQUE INDEX IF NOT EXISTS items_key ON items (pk, sk);
      CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
      CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
      CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, dead_at, visible_at);
      DROP INDEX IF EXISTS messages_receipt;
    `);
    this.checkpointer = path === ":memory:" || options.checkpointer === false ? undefined : new Checkpointer(path);
  }

  /** Creates `name`, or copies an existing one of an outdated definition into its current one. */
  private rebuildIfOutdated(name: string, { definition, outdated }: { definition: string; outdated: RegExp }): void {
    const table = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as { sql: string } | undefined;
    if (!table) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${name} (${definition})`);
      return;
    }
    if (!outdated.test(table.sql)) return;
    this.db.exec(`
      BEGIN IMMEDIATE;
      CREATE TABLE ${name}_next (${definition});
      INSERT INTO ${name}_next SELECT * FROM ${name};
      DROP TABLE ${name};
      ALTER TABLE ${name}_next RENAME TO ${name};
      COMMIT;
    `);
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

  private pending: PendingOp[] = [];
  private flushScheduled = false;

  /**
   * Group commit: writes issued in the same turn of the event loop share one
   * transaction; a write that fails its condition undoes only its own changes
   * (see runAll). A commit costs far more than a statement, so under load this
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

  /** When a group commit first found another connection writing; undefined while it is not waiting. */
  private busySince: number | undefined;

  /**
   * BEGIN IMMEDIATE, without SQLite's busy wait unless `wait`: false when another
   * connection (the runtime's other thread) holds the write lock. The busy handler
   * sleeps at least a millisecond per try with the whole event loop stopped; a retry
   * on the next turn keeps reading requests instead, and they join the same batch.
   */
  private tryBegin(wait: boolean): boolean {
    if (wait) {
      this.stmt("BEGIN IMMEDIATE").run();
      return true;
    }
    this.stmt("PRAGMA busy_timeout = 0").run();
    try {
      this.stmt("BEGIN IMMEDIATE").run();
      return true;
    } catch (error) {
      if (!isBusy(error)) throw error;
      return false;
    } finally {
      this.stmt(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).run();
    }
  }

  private flush(blocking = false): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const waited = this.busySince === undefined ? 0 : Date.now() - this.busySince;
    let began: boolean;
    try {
      // Past the busy timeout, SQLite's own wait decides: it begins or fails the batch.
      began = this.tryBegin(blocking || waited > BUSY_TIMEOUT_MS);
    } catch (error) {
      this.busySince = undefined;
      const batch = this.pending;
      this.pending = [];
      for (const op of batch) op.reject(error);
      return;
    }
    if (!began) {
      this.busySince ??= Date.now();
      this.flushScheduled = true;
      setImmediate(() => this.flush());
      return;
    }
    this.busySince = undefined;
    const batch = this.pending;
    this.pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runAll(batch);
      this.stmt("COMMIT").run();
    } catch (error) {
      this.stmt("ROLLBACK").run();
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) op.resolve(outcome.value);
      else op.reject(outcome?.error);
    });
  }

  /**
   * The common case, where no write fails its condition: the batch runs under one
   * savepoint instead of one per op. When an op throws, the whole batch is undone
   * (the transaction and its lock stay) and run again op by op; every op is a
   * function of what the database holds, so running it again is safe.
   */
  private runAll(batch: PendingOp[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.stmt("SAVEPOINT batch").run();
    try {
      for (const op of batch) outcomes.push({ ok: true, value: op.run() });
      return outcomes;
    } catch {
      this.stmt("ROLLBACK TO batch").run();
      return this.runEachInSavepoint(batch);
    } finally {
      this.stmt("RELEASE batch").run();
    }
  }

  /** Each op in its own savepoint, so one that fails undoes only its own writes. */
  private runEachInSavepoint(batch: PendingOp[]): Outcome[] {
    const outcomes: Outcome[] = [];
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
    return outcomes;
  }

  close(): void {
    this.flush(true);
    this.checkpointer?.stop();
    if (this.db.isOpen) this.db.close();
  }
}
