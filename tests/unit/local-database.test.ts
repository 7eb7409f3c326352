import { createLocalPorts, LocalDatabase, type LocalPorts } from "@sambung/core/adapters/local/index";
import { limitRows } from "@sambung/core/adapters/local/database";
import { ConditionFailedError, type Clock } from "@sambung/core/port";
import * as Event from "@sambung/core/event/index";
import { ManualClock, systemClock } from "@sambung/core/adapters/clock";
import { startExpirySweep } from "@sambung/functions/local/expiry-sweep";
import { DatabaseSync } from "node:sqlite";
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Local ports on a fresh data directory, closed and removed after `use`; `earlier` writes
 * the database an older version left there first.
 */
async function withLocalPorts(options: { clock?: Clock; earlier?: string }, use: (ports: LocalPorts) => Promise<void>): Promise<void> {
  const { clock = systemClock, earlier } = options;
  const dir = tempDir();
  if (earlier) {
    const old = new DatabaseSync(join(dir.path, "sambung.db"));
    old.exec(earlier);
    old.close();
  }
  const ports = createLocalPorts(dir.path, clock, {}, { checkpointer: false });
  try {
    await use(ports);
  } finally {
    ports.database.close();
    dir.remove();
  }
}

function countRows(ports: LocalPorts, from: string): number {
  return (ports.database.stmt(`SELECT COUNT(*) AS n FROM ${from}`).get() as { n: number }).n;
}

describe("LocalDatabase shared by two connections (the runtime's two threads)", () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let database: LocalDatabase | undefined;
  let other: DatabaseSync | undefined;
  beforeEach(() => {
    dir = tempDir();
    path = join(dir.path, "shared.db");
  });
  afterEach(() => {
    other?.close();
    database?.close();
    other = undefined;
    database = undefined;
    dir.remove();
  });

  it("waits for the other connection's write without stopping the event loop, then commits", async () => {
    database = new LocalDatabase(path, { checkpointer: false });
    other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    other.exec("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 1)");

    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    let committed = false;
    const write = database
      .grouped(() => database?.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 2)").run())
      .then(() => (committed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // SQLite's own busy wait would have held this thread for the whole 100 ms.
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(committed).toBe(false);

    other.exec("COMMIT");
    await write;
    clearInterval(ticker);
    const rows = database.stmt("SELECT created_at FROM outbox ORDER BY created_at").all() as { created_at: number }[];
    expect(rows.map((row) => row.created_at)).toEqual([1, 2]);
  });

  it("rolls back only the write whose condition failed when the batch shares a commit", async () => {
    database = new LocalDatabase(path, { checkpointer: false });
    const db = database;
    const results = await Promise.allSettled([
      db.grouped(() => db.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 1)").run()),
      db.grouped(() => {
        db.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 2)").run();
        throw new Error("condition failed");
      }),
      db.grouped(() => db.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 3)").run()),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const rows = db.stmt("SELECT created_at FROM outbox ORDER BY created_at").all() as { created_at: number }[];
    expect(rows.map((row) => row.created_at)).toEqual([1, 3]);
  });

  it("fails the writes waiting in a batch when their transaction cannot begin, and keeps serving later ones", async () => {
    database = new LocalDatabase(path, { checkpointer: false });
    const db = database;
    db.db.exec("PRAGMA query_only = 1");
    await expect(db.grouped(() => db.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 1)").run())).rejects.toThrow(/readonly/);
    db.db.exec("PRAGMA query_only = 0");
    await db.grouped(() => db.stmt("INSERT INTO outbox (envelope, created_at) VALUES ('{}', 2)").run());
    const rows = db.stmt("SELECT created_at FROM outbox").all() as { created_at: number }[];
    expect(rows.map((row) => row.created_at)).toEqual([2]);
  });
});

describe("limitRows", () => {
  it("writes the row count into the SQL, where a bound LIMIT made SQLite compile the statement on every run", () => {
    expect(limitRows(10)).toBe("LIMIT 10");
    expect(limitRows(0)).toBe("LIMIT 0");
  });

  it("refuses a count that is not a whole number ≥ 0", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => limitRows(bad)).toThrow(RangeError);
  });
});

describe("LocalDatabase on a data directory from an earlier version", () => {
  it("rebuilds the outbox and message tables without their extra indexes, keeping every row, and the queue works on them", async () => {
    await withLocalPorts({ earlier: `
      PRAGMA journal_mode = WAL;
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, envelope TEXT NOT NULL, created_at INTEGER NOT NULL, failed_reason TEXT);
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL,
        sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, dead_at INTEGER
      );
      CREATE INDEX messages_ready ON messages (queue, dead_at, visible_at);
      CREATE INDEX messages_receipt ON messages (receipt) WHERE receipt IS NOT NULL;
      INSERT INTO outbox (envelope, created_at, failed_reason) VALUES ('{"type":"gone.type"}', 5, 'no such type');
      INSERT INTO messages (id, queue, body, sent_at, visible_at, receive_count, receipt) VALUES ('m1', 'diag', '{"a":1}', 1, 1, 1, 'm1:old-receipt');
      INSERT INTO messages (id, queue, body, sent_at, visible_at, receive_count, dead_at) VALUES ('m2', 'diag', '{"b":2}', 2, 2, 3, 9);
    ` }, async (ports) => {
      const schema = ports.database.db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('outbox', 'messages')").all() as { name: string; sql: string | null }[];
      expect(schema.map((entry) => entry.name).sort()).toEqual(["messages", "messages_ready", "outbox"]);
      expect(schema.some((entry) => /UNIQUE|AUTOINCREMENT/.test(entry.sql ?? ""))).toBe(false);
      expect(ports.database.stmt("SELECT envelope, failed_reason FROM outbox").all()).toEqual([{ envelope: '{"type":"gone.type"}', failed_reason: "no such type" }]);
      expect(ports.database.stmt("SELECT id, receive_count, dead_at FROM messages ORDER BY seq").all()).toEqual([
        { id: "m1", receive_count: 1, dead_at: null },
        { id: "m2", receive_count: 3, dead_at: 9 },
      ]);
      // The message a dead process held comes back with its receive count, and acks by its new receipt.
      expect(ports.queue.recoverInFlight()).toBe(1);
      const [message] = await ports.queue.receive("diag", { max: 10, visibilityTimeoutSeconds: 30 });
      expect(message).toMatchObject({ id: "m1", body: '{"a":1}', receiveCount: 2 });
      await ports.queue.ack("diag", "m1:old-receipt");
      expect(await ports.queue.stats("diag")).toMatchObject({ inFlight: 1, dead: 1 });
      await ports.queue.ack("diag", message?.receiptHandle ?? "");
      expect(await ports.queue.stats("diag")).toMatchObject({ inFlight: 0, visible: 0, dead: 1 });
      expect(await ports.queue.redrive("diag")).toBe(1);
      expect((await ports.queue.receive("diag", { max: 10, visibilityTimeoutSeconds: 30 })).map((received) => received.id)).toEqual(["m2"]);
    });
  });
});

describe("LocalDatabase on a data directory whose items table is WITHOUT ROWID", () => {
  it("copies every item into the rowid table with its key and secondary indexes, and the store reads, queries and writes them", async () => {
    await withLocalPorts({ earlier: `
      PRAGMA journal_mode = WAL;
      CREATE TABLE items (
        pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT, gsi1sk TEXT, ttl INTEGER,
        version INTEGER NOT NULL, outbox TEXT, data TEXT NOT NULL, PRIMARY KEY (pk, sk)
      ) WITHOUT ROWID;
      CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
      CREATE INDEX items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
      INSERT INTO items VALUES ('TENANT#t1', 'PROFILE', NULL, NULL, NULL, 3, NULL, '{"name":"Hotel Melati"}');
      INSERT INTO items VALUES ('PAY#t1', 'p1', 'UNRECONCILED#t1', '2026-01-01', NULL, 1, NULL, '{"big":"${"x".repeat(5000)}"}');
      INSERT INTO items VALUES ('RATE#k', 'gone', NULL, NULL, 1, 1, NULL, '{}');
    ` }, async (ports) => {
      const schema = ports.database.db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'items'").all() as { name: string; sql: string | null }[];
      expect(schema.map((entry) => entry.name).sort()).toEqual(["items", "items_gsi1", "items_key", "items_ttl"]);
      expect(schema.some((entry) => /WITHOUT ROWID/.test(entry.sql ?? ""))).toBe(false);
      expect(await ports.store.get("TENANT#t1", "PROFILE")).toMatchObject({ version: 3, data: { name: "Hotel Melati" } });
      expect(((await ports.store.get("PAY#t1", "p1"))?.data.big as string).length).toBe(5000);
      expect((await ports.store.query("UNRECONCILED#t1", { index: "gsi1" })).items.map((item) => item.sk)).toEqual(["p1"]);
      // Expired before the copy: still hidden, and the sweep finds it through the copied ttl index.
      expect(await ports.store.get("RATE#k", "gone")).toBeUndefined();
      expect(await ports.store.sweepExpired()).toBe(1);
      // The (pk, sk) key still makes a write conditional and an upsert.
      await expect(ports.store.put({ pk: "TENANT#t1", sk: "PROFILE", data: {} }, { ifVersion: 2 })).rejects.toBeInstanceOf(ConditionFailedError);
      expect(await ports.store.put({ pk: "TENANT#t1", sk: "PROFILE", data: { name: "Hotel Kenanga" } }, { ifVersion: 3 })).toMatchObject({ version: 4 });
      expect(countRows(ports, "items WHERE pk = 'TENANT#t1'")).toBe(1);
    });
  });
});

describe("the local store's outbox", () => {
  it("takes an item's event only when the put inserts it, as the stream pipe takes only INSERT records", async () => {
    const clock = new ManualClock();
    await withLocalPorts({ clock }, async (ports) => {
      const event = () => Event.create({ type: "diag.ping", tenantId: "platform", data: { pingId: "p1", failTimes: 0, holdMs: 0 } });
      const outboxRows = () => countRows(ports, "outbox");
      const ttl = Math.floor(clock.now() / 1000) + 60;
      await ports.store.put({ pk: "DIAG#PING", sk: "p1", ttl, data: {}, outbox: event() }, { ifNotExists: true });
      expect(outboxRows()).toBe(1);
      await expect(ports.store.put({ pk: "DIAG#PING", sk: "p1", data: {}, outbox: event() }, { ifNotExists: true })).rejects.toBeInstanceOf(ConditionFailedError);
      await ports.store.put({ pk: "DIAG#PING", sk: "p1", ttl, data: { changed: true }, outbox: event() }, { ifVersion: 1 });
      await ports.store.put({ pk: "DIAG#PING", sk: "p1", ttl, data: {}, outbox: event() });
      expect(outboxRows()).toBe(1);
      // An expired row replaced is a MODIFY, not an INSERT: no event, and the version starts again.
      clock.advance(61_000);
      expect(await ports.store.put({ pk: "DIAG#PING", sk: "p1", data: {}, outbox: event() }, { ifNotExists: true })).toMatchObject({ version: 1 });
      expect(outboxRows()).toBe(1);
      await ports.store.put({ pk: "DIAG#PING", sk: "p2", data: {}, outbox: event() });
      expect(outboxRows()).toBe(2);
    });
  });
});

describe("the local store's TTL sweep", () => {
  it("deletes expired items in batches in the background and leaves live ones", async () => {
    const clock = new ManualClock();
    await withLocalPorts({ clock }, async (ports) => {
      const sweep = startExpirySweep(ports, 10);
      try {
        const soon = Math.floor(clock.now() / 1000) + 60;
        await Promise.all(Array.from({ length: 1_200 }, (_, index) => ports.store.put({ pk: "RATE#key", sk: String(index), ttl: soon, data: { used: index } })));
        await ports.store.put({ pk: "RATE#key", sk: "later", ttl: soon + 3_600, data: {} });
        await ports.store.put({ pk: "TENANT#t1", sk: "PROFILE", data: { name: "Hotel Melati" } });
        const rows = () => countRows(ports, "items");
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(rows()).toBe(1_202);

        clock.advance(61_000);
        await waitFor(() => rows() === 2, "the expired items deleted");
        expect(await ports.store.get("RATE#key", "later")).toBeDefined();
        expect(await ports.store.get("TENANT#t1", "PROFILE")).toMatchObject({ data: { name: "Hotel Melati" } });
      } finally {
        await sweep.stop();
      }
    });
  });
});

describe("the local checkpointer", () => {
  it("starts the WAL over while writes keep coming, so the file stops growing", async () => {
    const dir = tempDir();
    const path = join(dir.path, "wal.db");
    const database = new LocalDatabase(path);
    try {
      database.db.exec("CREATE TABLE filler (v TEXT)");
      const insert = database.stmt("INSERT INTO filler (v) VALUES (?)");
      const row = "x".repeat(3000);
      // A commit about every millisecond for 3 s, as under load: there is always a newer frame
      // than the last checkpoint copied, so a writer never finds the WAL free to start over itself.
      let commits = 0;
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        await database.grouped(() => insert.run(row));
        commits += 1;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const walBytes = statSync(`${path}-wal`).size;
      // Each commit appends about 13 KB: without restarts the WAL keeps them all (over 13 MB here);
      // with them it is reused from its start and stays near what 100 ms of commits write.
      expect(commits).toBeGreaterThan(1000);
      expect(walBytes).toBeLessThan(8 * 1024 * 1024);
    } finally {
      database.close();
      dir.remove();
    }
  });
});
