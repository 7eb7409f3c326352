import { LocalDatabase } from "@sambung/core/adapters/local/index";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";

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
