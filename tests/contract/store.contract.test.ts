import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoStore } from "../../packages/core/src/adapters/aws/store.ts";
import { ManualClock } from "../../packages/core/src/adapters/clock.ts";
import { LocalDatabase } from "../../packages/core/src/adapters/local/database.ts";
import { SqliteStore } from "../../packages/core/src/adapters/local/store.ts";
import * as Event from "../../packages/core/src/event/index.ts";
import { ConditionFailedError, InvalidCursorError, type Item, type QueryOptions, type Store } from "../../packages/core/src/port.ts";
import { TABLE_KEYS } from "../support/table-keys.ts";

interface Harness {
  store: Store;
  clock: ManualClock;
}

interface Adapter {
  name: string;
  start(): Promise<Harness>;
  stop(): Promise<void>;
}

function sqliteAdapter(): Adapter {
  let dir = "";
  let database: LocalDatabase | undefined;
  return {
    name: "SqliteStore",
    async start() {
      dir = mkdtempSync(join(tmpdir(), "sambung-store-"));
      database = new LocalDatabase(join(dir, "store.db"));
      const clock = new ManualClock();
      return { store: new SqliteStore(database, clock), clock };
    },
    async stop() {
      database?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dynamoAdapter(): Adapter {
  const server = dynalite({ createTableMs: 0 });
  let client: DynamoDBClient | undefined;
  return {
    name: "DynamoStore (dynalite)",
    async start() {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      client = new DynamoDBClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      await client.send(
        new CreateTableCommand({
          TableName: "sambung",
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: ["pk", "sk", "gsi1pk", "gsi1sk"].map((name) => ({ AttributeName: name, AttributeType: "S" })),
          ...TABLE_KEYS,
        }),
      );
      const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
      const clock = new ManualClock();
      return { store: new DynamoStore(documents, "sambung", clock), clock };
    },
    async stop() {
      // Sockets first: dynalite's close waits for open keep-alive connections.
      client?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const adapters = [sqliteAdapter(), dynamoAdapter()];

describe.each(adapters)("Store contract: $name", (adapter) => {
  let store: Store;
  let clock: ManualClock;
  let partitions = 0;
  /** A partition key no other test touches. */
  const fresh = (label: string) => `${label}#${++partitions}`;
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    ({ store, clock } = await adapter.start());
  });
  afterAll(() => adapter.stop());

  async function seed(pk: string, sks: string[], extra: (sk: string, index: number) => Partial<Item> = () => ({})) {
    for (const [index, sk] of sks.entries()) await store.put({ pk, sk, data: { sk, index }, ...extra(sk, index) });
  }

  async function sks(pk: string, options: QueryOptions = {}): Promise<string[]> {
    return (await store.query(pk, options)).items.map((item) => item.sk);
  }

  /** Follows cursors to the end; returns every page's sort keys. */
  async function pages(pk: string, options: QueryOptions): Promise<string[][]> {
    const result: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query(pk, { ...options, cursor });
      result.push(page.items.map((item) => item.sk));
      cursor = page.cursor;
    } while (cursor && result.length < 20);
    return result;
  }

  it("puts and gets an item, starting its version at 1 and adding 1 per write", async () => {
    const pk = fresh("tenant");
    const first = await store.put({ pk, sk: "profile", data: { name: "Hotel Melati", rooms: 12, tags: ["a"], nested: { ok: true } } });
    expect(first.version).toBe(1);
    expect(await store.get(pk, "profile")).toEqual({
      pk,
      sk: "profile",
      version: 1,
      data: { name: "Hotel Melati", rooms: 12, tags: ["a"], nested: { ok: true } },
    });
    const second = await store.put({ pk, sk: "profile", data: { name: "Hotel Melati Baru" } });
    expect(second.version).toBe(2);
    const third = await store.put({ ...second, data: { name: "again" } });
    expect(third.version).toBe(3);
    expect(await store.get(pk, "profile")).toEqual({ pk, sk: "profile", version: 3, data: { name: "again" } });
  });

  it("tells an item's current version without its data, and nothing for a missing or expired one", async () => {
    const pk = fresh("version");
    expect(await store.version(pk, "record")).toBeUndefined();
    await store.put({ pk, sk: "record", data: { big: "x".repeat(1000) } });
    expect(await store.version(pk, "record")).toBe(1);
    await store.put({ pk, sk: "record", ttl: nowSeconds() + 60, data: { big: "y" } });
    expect(await store.version(pk, "record")).toBe(2);
    clock.advance(60_000);
    expect(await store.version(pk, "record")).toBeUndefined();
    await store.put({ pk, sk: "other", data: {} });
    await store.delete(pk, "other");
    expect(await store.version(pk, "other")).toBeUndefined();
  });

  it("returns undefined for a missing item", async () => {
    expect(await store.get(fresh("nobody"), "nothing")).toBeUndefined();
  });

  it("replaces the whole item: optional attributes left out are gone", async () => {
    const pk = fresh("replace");
    await store.put({ pk, sk: "a", gsi1pk: "G", gsi1sk: "1", ttl: nowSeconds() + 3600, data: { old: 1 } });
    await store.put({ pk, sk: "a", data: { fresh: 2 } });
    expect(await store.get(pk, "a")).toEqual({ pk, sk: "a", version: 2, data: { fresh: 2 } });
  });

  it("refuses ifNotExists when the item exists, and leaves it unchanged", async () => {
    const pk = fresh("idem");
    expect((await store.put({ pk, sk: "evt_1", data: { n: 1 } }, { ifNotExists: true })).version).toBe(1);
    await expect(store.put({ pk, sk: "evt_1", data: { n: 2 } }, { ifNotExists: true })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.get(pk, "evt_1")).toMatchObject({ version: 1, data: { n: 1 } });
  });

  it("writes only when ifVersion matches the stored version", async () => {
    const pk = fresh("occ");
    await store.put({ pk, sk: "row", data: { n: 1 } });
    expect((await store.put({ pk, sk: "row", data: { n: 2 } }, { ifVersion: 1 })).version).toBe(2);
    await expect(store.put({ pk, sk: "row", data: { n: 3 } }, { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.get(pk, "row")).toMatchObject({ version: 2, data: { n: 2 } });
    await expect(store.put({ pk, sk: "absent", data: {} }, { ifVersion: 1 })).rejects.toThrow(ConditionFailedError);
    expect(await store.get(pk, "absent")).toBeUndefined();
    // Both at once can never hold: absent has no version, present is not absent.
    await expect(store.put({ pk, sk: "row", data: {} }, { ifNotExists: true, ifVersion: 2 })).rejects.toThrow(ConditionFailedError);
    await expect(store.put({ pk, sk: "absent", data: {} }, { ifNotExists: true, ifVersion: 0 })).rejects.toThrow(ConditionFailedError);
  });

  it("deletes, honouring ifVersion", async () => {
    const pk = fresh("del");
    await store.put({ pk, sk: "row", data: {} });
    await store.put({ pk, sk: "row", data: {} });
    await expect(store.delete(pk, "row", { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.get(pk, "row")).toBeDefined();
    await store.delete(pk, "row", { ifVersion: 2 });
    expect(await store.get(pk, "row")).toBeUndefined();
    await expect(store.delete(pk, "row", { ifVersion: 2 })).rejects.toBeInstanceOf(ConditionFailedError);
    await store.delete(pk, "never-there");
  });

  it("hides an item once its ttl has passed and treats it as absent", async () => {
    const pk = fresh("ttl");
    await store.put({ pk, sk: "session", ttl: nowSeconds() + 60, data: { user: "u1" } });
    await store.put({ pk, sk: "keep", data: {} });
    expect(await store.get(pk, "session")).toMatchObject({ ttl: nowSeconds() + 60 });
    clock.advance(60_000);
    expect(await store.get(pk, "session")).toBeUndefined();
    expect(await sks(pk)).toEqual(["keep"]);
    await expect(store.put({ pk, sk: "session", data: {} }, { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete(pk, "session", { ifVersion: 1 })).rejects.toBeInstanceOf(ConditionFailedError);
    const revived = await store.put({ pk, sk: "session", data: { user: "u2" } }, { ifNotExists: true });
    expect(revived.version).toBe(1);
    expect(await store.get(pk, "session")).toEqual({ pk, sk: "session", version: 1, data: { user: "u2" } });
  });

  it("starts the version again at 1 when a plain put replaces an expired item", async () => {
    const pk = fresh("ttl-put");
    await store.put({ pk, sk: "x", ttl: nowSeconds() + 1, data: {} });
    await store.put({ pk, sk: "x", ttl: nowSeconds() + 1, data: {} });
    clock.advance(1_000);
    expect((await store.put({ pk, sk: "x", data: {} })).version).toBe(1);
  });

  it("queries by sort-key prefix", async () => {
    const pk = fresh("prefix");
    await seed(pk, ["b#1", "a#2", "ab", "a#1", "a", "c"]);
    expect(await sks(pk, { prefix: "a#" })).toEqual(["a#1", "a#2"]);
    expect(await sks(pk, { prefix: "a" })).toEqual(["a", "a#1", "a#2", "ab"]);
    expect(await sks(pk, { prefix: "z" })).toEqual([]);
    expect(await sks(pk)).toEqual(["a", "a#1", "a#2", "ab", "b#1", "c"]);
  });

  it("queries an inclusive from/to range, alone or with a prefix", async () => {
    const pk = fresh("range");
    await seed(pk, ["2026-01-01", "2026-01-02", "2026-01-03", "2026-02-01", "log#1", "log#2", "log#3"]);
    expect(await sks(pk, { from: "2026-01-02", to: "2026-02-01" })).toEqual(["2026-01-02", "2026-01-03", "2026-02-01"]);
    expect(await sks(pk, { from: "log#2" })).toEqual(["log#2", "log#3"]);
    expect(await sks(pk, { to: "2026-01-02" })).toEqual(["2026-01-01", "2026-01-02"]);
    expect(await sks(pk, { prefix: "log#", from: "log#2" })).toEqual(["log#2", "log#3"]);
    expect(await sks(pk, { prefix: "log#", to: "log#2" })).toEqual(["log#1", "log#2"]);
    expect(await sks(pk, { prefix: "2026-01", from: "2025", to: "2026-01-02" })).toEqual(["2026-01-01", "2026-01-02"]);
    expect(await sks(pk, { from: "b", to: "a" })).toEqual([]);
    expect(await sks(pk, { prefix: "log#", from: "m" })).toEqual([]);
  });

  it("queries newest first with reverse", async () => {
    const pk = fresh("reverse");
    await seed(pk, ["1", "3", "2", "x#1", "x#2"]);
    expect(await sks(pk, { reverse: true })).toEqual(["x#2", "x#1", "3", "2", "1"]);
    expect(await sks(pk, { reverse: true, prefix: "x#" })).toEqual(["x#2", "x#1"]);
    expect(await sks(pk, { reverse: true, limit: 2 })).toEqual(["x#2", "x#1"]);
  });

  it("takes a page size that is not a whole number as the whole number below it", async () => {
    const pk = fresh("fraction");
    await seed(pk, ["a", "b", "c"]);
    const page = await store.query(pk, { limit: 2.5 });
    expect(page.items.map((item) => item.sk)).toEqual(["a", "b"]);
    expect(page.cursor).toBeDefined();
  });

  it("pages through 25 items 10 at a time, each item exactly once", async () => {
    const pk = fresh("page");
    const all = Array.from({ length: 25 }, (_, i) => `item#${String(i).padStart(2, "0")}`);
    await seed(pk, [...all].reverse());
    const forward = await pages(pk, { limit: 10 });
    expect(forward.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(forward.flat()).toEqual(all);
    const backward = await pages(pk, { limit: 10, reverse: true });
    expect(backward.flat()).toEqual([...all].reverse());
    const prefixed = await pages(pk, { limit: 4, prefix: "item#1" });
    expect(prefixed.flat()).toEqual(all.slice(10, 20));
  });

  it("hands out no cursor when a page ends exactly at the last item", async () => {
    const pk = fresh("exact");
    await seed(pk, Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`));
    const first = await store.query(pk, { limit: 10 });
    expect(first.cursor).toBeDefined();
    const second = await store.query(pk, { limit: 10, cursor: first.cursor });
    expect(second.items).toHaveLength(10);
    expect(second.cursor).toBeUndefined();
  });

  it("fills pages with live items when expired ones sit in between", async () => {
    const pk = fresh("sparse");
    const keys = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, "0")}`);
    await seed(pk, keys, (_, index) => (index % 3 === 0 ? {} : { ttl: nowSeconds() + 5 }));
    clock.advance(5_000);
    const live = keys.filter((_, index) => index % 3 === 0);
    const paged = await pages(pk, { limit: 4 });
    expect(paged.map((page) => page.length)).toEqual([4, 4, 2]);
    expect(paged.flat()).toEqual(live);
  });

  it("queries the gsi1 index across partitions, with ranges and cursors", async () => {
    const index = fresh("GUEST");
    for (let i = 0; i < 12; i++) {
      await store.put({ pk: `booking#${i}`, sk: "meta", gsi1pk: index, gsi1sk: `2026-03-${String(i + 1).padStart(2, "0")}`, data: { i } });
    }
    await store.put({ pk: "booking#other", sk: "meta", gsi1pk: `${index}-other`, gsi1sk: "2026-03-01", data: {} });
    const all = await store.query(index, { index: "gsi1" });
    expect(all.items.map((item) => item.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(all.items[0]).toMatchObject({ pk: "booking#0", sk: "meta", gsi1pk: index, gsi1sk: "2026-03-01", version: 1 });
    const ranged = await store.query(index, { index: "gsi1", from: "2026-03-03", to: "2026-03-05", reverse: true });
    expect(ranged.items.map((item) => item.gsi1sk)).toEqual(["2026-03-05", "2026-03-04", "2026-03-03"]);
    const prefixed = await store.query(index, { index: "gsi1", prefix: "2026-03-1" });
    expect(prefixed.items.map((item) => item.gsi1sk)).toEqual(["2026-03-10", "2026-03-11", "2026-03-12"]);
    const collected: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query(index, { index: "gsi1", limit: 5, cursor });
      collected.push(...page.items.map((item) => item.data.i));
      cursor = page.cursor;
    } while (cursor);
    expect(collected).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it("rejects a cursor it did not hand out", async () => {
    const pk = fresh("cursor");
    await seed(pk, ["a", "b", "c"]);
    await expect(store.query(pk, { cursor: "not a cursor!" })).rejects.toBeInstanceOf(InvalidCursorError);
    const junk = Buffer.from(JSON.stringify({ hello: "world" })).toString("base64url");
    await expect(store.query(pk, { cursor: junk })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.query(pk, { cursor: Buffer.from("[1,2]").toString("base64url") })).rejects.toBeInstanceOf(InvalidCursorError);
    const good = await store.query(pk, { limit: 1 });
    expect(good.cursor).toBeDefined();
    expect(await sks(pk, { limit: 5, cursor: good.cursor })).toEqual(["b", "c"]);
  });

  it("round-trips the outbox envelope with the item", async () => {
    const pk = fresh("webhook");
    const envelope = Event.create({ type: "diag.ping", tenantId: "t1", locationId: "l1", data: { pingId: "p1", failTimes: 0, holdMs: 0 } });
    const stored = await store.put({ pk, sk: "evt", outbox: envelope, data: { raw: "{}" } }, { ifNotExists: true });
    expect(stored.outbox).toEqual(envelope);
    expect(await store.get(pk, "evt")).toEqual({ pk, sk: "evt", version: 1, outbox: envelope, data: { raw: "{}" } });
    expect((await store.query(pk)).items[0]?.outbox).toEqual(envelope);
    await store.put({ pk, sk: "evt", data: { raw: "{}" } });
    expect((await store.get(pk, "evt"))?.outbox).toBeUndefined();
  });

  it("answers ping", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
