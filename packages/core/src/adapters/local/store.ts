import type { SQLInputValue } from "node:sqlite";
import { Envelope } from "../../event/envelope.ts";
import { ConditionFailedError, InvalidCursorError, type Clock, type Item, type Page, type PutOptions, type QueryOptions, type Store } from "../../port.ts";
import { limitRows, type LocalDatabase } from "./database.ts";

interface Row {
  pk: string;
  sk: string;
  gsi1pk: string | null;
  gsi1sk: string | null;
  ttl: number | null;
  version: number;
  outbox: string | null;
  data: string;
}

interface Cursor {
  /** The partition the cursor was handed out for: a cursor only resumes its own query. */
  q: string;
  pk: string;
  sk: string;
  gsi1sk?: string;
}

const MAX_PAGE = 1000;

/** The single table on SQLite. TTL is an attribute: expired rows are invisible and swept lazily. */
export class SqliteStore implements Store {
  private readonly database: LocalDatabase;
  private readonly clock: Clock;

  constructor(database: LocalDatabase, clock: Clock) {
    this.database = database;
    this.clock = clock;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** `live` in SQL: the row's TTL, if it has one, is after the time (seconds) bound to `param`. */
  private static unexpired(param = "?"): string {
    return `(ttl IS NULL OR ttl > ${param})`;
  }

  private live<T extends Pick<Row, "ttl">>(row: T | undefined): T | undefined {
    if (!row) return undefined;
    if (row.ttl !== null && row.ttl <= this.nowSeconds()) return undefined;
    return row;
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    const row = this.database.stmt("SELECT * FROM items WHERE pk = ? AND sk = ?").get(pk, sk) as Row | undefined;
    const found = this.live(row);
    return found ? toItem(found) : undefined;
  }

  /** The version and expiry of a row, without its data: what conditions and `version` need. */
  private head(pk: string, sk: string): Pick<Row, "version" | "ttl"> | undefined {
    return this.database.stmt("SELECT version, ttl FROM items WHERE pk = ? AND sk = ?").get(pk, sk) as Pick<Row, "version" | "ttl"> | undefined;
  }

  async version(pk: string, sk: string): Promise<number | undefined> {
    return this.live(this.head(pk, sk))?.version;
  }

  async put(item: Item, options: PutOptions = {}): Promise<Item> {
    const outbox = item.outbox ? JSON.stringify(Envelope.parse(item.outbox)) : null;
    const values = [item.pk, item.sk, item.gsi1pk ?? null, item.gsi1sk ?? null, item.ttl ?? null] as const;
    const data = JSON.stringify(item.data);
    const stored = await this.database.grouped(() => {
      // The common conditional writes take one statement; the rest read the row's head first.
      if (options.ifVersion !== undefined && !options.ifNotExists) {
        const version = options.ifVersion + 1;
        const { changes } = this.database
          .stmt(
            `UPDATE items SET gsi1pk = ?3, gsi1sk = ?4, ttl = ?5, version = ?6, outbox = ?7, data = ?8
             WHERE pk = ?1 AND sk = ?2 AND version = ?9 AND ${SqliteStore.unexpired("?10")}`,
          )
          .run(...values, version, outbox, data, options.ifVersion, this.nowSeconds());
        if (changes === 0) throw new ConditionFailedError(item.pk, item.sk);
        return { next: { ...item, version }, emitted: false };
      }
      if (options.ifNotExists && options.ifVersion === undefined) {
        const { changes } = this.database
          .stmt("INSERT INTO items (pk, sk, gsi1pk, gsi1sk, ttl, version, outbox, data) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (pk, sk) DO NOTHING")
          .run(...values, outbox, data);
        if (changes === 1) return { next: { ...item, version: 1 }, emitted: this.emit(outbox) };
      }
      const row = this.head(item.pk, item.sk);
      const existing = this.live(row);
      if (options.ifNotExists && existing) throw new ConditionFailedError(item.pk, item.sk);
      if (options.ifVersion !== undefined && existing?.version !== options.ifVersion) {
        throw new ConditionFailedError(item.pk, item.sk);
      }
      const version = (existing?.version ?? 0) + 1;
      this.database
        .stmt(
          `INSERT INTO items (pk, sk, gsi1pk, gsi1sk, ttl, version, outbox, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk, ttl = excluded.ttl,
             version = excluded.version, outbox = excluded.outbox, data = excluded.data`,
        )
        .run(...values, version, outbox, data);
      // The record is the outbox entry: only a true insert emits, as the stream pipe (INSERT
      // records only) does on AWS; replacing an expired row is a MODIFY there, so not here either.
      return { next: { ...item, version }, emitted: row === undefined && this.emit(outbox) };
    });
    if (stored.emitted) this.database.signals.emit("outbox");
    return stored.next;
  }

  /** Adds an inserted item's event to the outbox, in the insert's transaction; true if it had one. */
  private emit(outbox: string | null): boolean {
    if (outbox === null) return false;
    this.database.stmt("INSERT INTO outbox (envelope, created_at) VALUES (?, ?)").run(outbox, this.clock.now());
    return true;
  }

  async delete(pk: string, sk: string, options: { ifVersion?: number } = {}): Promise<void> {
    await this.database.grouped(() => {
      if (options.ifVersion === undefined) {
        this.database.stmt("DELETE FROM items WHERE pk = ? AND sk = ?").run(pk, sk);
        return;
      }
      // One statement, as a conditional put: the row must be live and at that version.
      const { changes } = this.database
        .stmt(`DELETE FROM items WHERE pk = ? AND sk = ? AND version = ? AND ${SqliteStore.unexpired()}`)
        .run(pk, sk, options.ifVersion, this.nowSeconds());
      if (changes === 0) throw new ConditionFailedError(pk, sk);
    });
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Page<Item>> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 100), 1), MAX_PAGE);
    const onIndex = options.index === "gsi1";
    const pkCol = onIndex ? "gsi1pk" : "pk";
    const skCol = onIndex ? "gsi1sk" : "sk";
    const order = options.reverse ? "DESC" : "ASC";
    const cmp = options.reverse ? "<" : ">";
    const where = [`${pkCol} = ?`, SqliteStore.unexpired()];
    const params: SQLInputValue[] = [pk, this.nowSeconds()];
    if (options.prefix !== undefined) {
      // Range on the prefix keeps the index usable, unlike LIKE with its escaping rules.
      where.push(`${skCol} >= ? AND ${skCol} < ?`);
      params.push(options.prefix, options.prefix + "\u{10FFFF}");
    }
    if (options.from !== undefined) {
      where.push(`${skCol} >= ?`);
      params.push(options.from);
    }
    if (options.to !== undefined) {
      where.push(`${skCol} <= ?`);
      params.push(options.to);
    }
    if (options.cursor) {
      const after = decodeCursor(options.cursor);
      if (after.q !== pk) throw new InvalidCursorError();
      if (onIndex) {
        where.push(`(gsi1sk, pk, sk) ${cmp} (?, ?, ?)`);
        params.push(after.gsi1sk ?? "", after.pk, after.sk);
      } else {
        where.push(`sk ${cmp} ?`);
        params.push(after.sk);
      }
    }
    const orderBy = onIndex ? `gsi1sk ${order}, pk ${order}, sk ${order}` : `sk ${order}`;
    const rows = this.database
      .stmt(`SELECT * FROM items WHERE ${where.join(" AND ")} ORDER BY ${orderBy} ${limitRows(limit + 1)}`)
      .all(...params) as unknown as Row[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toItem),
      cursor: more && last ? encodeCursor({ q: pk, pk: last.pk, sk: last.sk, gsi1sk: last.gsi1sk ?? undefined }) : undefined,
    };
  }

  async ping(): Promise<void> {
    this.database.stmt("SELECT 1").get();
  }

  /**
   * Deletes up to `max` expired rows; reads already hide them, this reclaims the
   * space (DynamoDB's TTL does it on AWS). A bounded batch keeps the write lock short.
   */
  async sweepExpired(max = 500): Promise<number> {
    const now = this.nowSeconds();
    return this.database.grouped(() =>
      Number(
        this.database
          .stmt(`DELETE FROM items WHERE rowid IN (SELECT rowid FROM items WHERE ttl IS NOT NULL AND ttl <= ? ${limitRows(max)})`)
          .run(now).changes,
      ),
    );
  }
}

function toItem(row: Row): Item {
  const item: Item = { pk: row.pk, sk: row.sk, version: row.version, data: JSON.parse(row.data) as Record<string, unknown> };
  if (row.gsi1pk !== null) item.gsi1pk = row.gsi1pk;
  if (row.gsi1sk !== null) item.gsi1sk = row.gsi1sk;
  if (row.ttl !== null) item.ttl = row.ttl;
  // Validated when it was written (put): read back as stored, like `data`.
  if (row.outbox !== null) item.outbox = JSON.parse(row.outbox) as Envelope;
  return item;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(raw: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Partial<Cursor>;
    if (typeof parsed.q === "string" && typeof parsed.pk === "string" && typeof parsed.sk === "string") return parsed as Cursor;
  } catch {
    // fall through to the clear error below
  }
  throw new InvalidCursorError();
}
