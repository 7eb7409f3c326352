import { randomUUID } from "node:crypto";
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { EventBridgeBus } from "../../packages/core/src/adapters/aws/bus.ts";
import { ManualClock } from "../../packages/core/src/adapters/clock.ts";
import { LocalBus } from "../../packages/core/src/adapters/local/bus.ts";
import { LocalDatabase } from "../../packages/core/src/adapters/local/database.ts";
import { queueConfigs } from "../../packages/core/src/adapters/local/index.ts";
import { SqliteQueue } from "../../packages/core/src/adapters/local/queue.ts";
import * as Event from "../../packages/core/src/event/index.ts";
import type { Envelope } from "../../packages/core/src/event/index.ts";
import type { Bus } from "../../packages/core/src/port.ts";

interface Harness {
  bus: Bus;
  /** Envelopes that reached the far side so far: the diag queue locally, the event bus on AWS. */
  delivered(): Promise<Envelope[]>;
}

interface Adapter {
  name: string;
  make(): Harness;
  stop(): void;
}

function localAdapter(): Adapter {
  const databases: LocalDatabase[] = [];
  return {
    name: "LocalBus",
    make() {
      const database = new LocalDatabase(":memory:");
      databases.push(database);
      const queue = new SqliteQueue(database, new ManualClock(), queueConfigs());
      return {
        bus: new LocalBus(database, queue),
        async delivered() {
          const envelopes: Envelope[] = [];
          for (;;) {
            const batch = await queue.receive("diag", { max: 10, visibilityTimeoutSeconds: 60 });
            if (batch.length === 0) return envelopes;
            envelopes.push(...batch.map((message) => JSON.parse(message.body) as Envelope));
          }
        },
      };
    },
    stop() {
      for (const database of databases) database.close();
    },
  };
}

const BUS_NAME = "sambung-test-bus";

/** A fake EventBridge: takes entries, or refuses the ones `failures` names, as many times as it says. */
function fakeEventBridge() {
  const client = new EventBridgeClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const mock = mockClient(client);
  const accepted: Envelope[] = [];
  const failures = new Map<string, number>();
  const calls: string[][] = [];
  let outage = false;
  mock.on(PutEventsCommand).callsFake((input: PutEventsCommandInput): Partial<PutEventsCommandOutput> => {
    const entries = input.Entries ?? [];
    if (entries.length > 10) throw new Error("PutEvents takes at most 10 entries");
    const envelopes = entries.map((entry) => {
      expect(entry).toMatchObject({ Source: "sambung", EventBusName: BUS_NAME });
      const envelope = JSON.parse(entry.Detail ?? "") as Envelope;
      expect(entry.DetailType).toBe(envelope.type);
      return envelope;
    });
    calls.push(envelopes.map((envelope) => envelope.id));
    if (outage) throw Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable" });
    const results = envelopes.map((envelope): PutEventsResultEntry => {
      const left = failures.get(envelope.id) ?? 0;
      if (left > 0) {
        failures.set(envelope.id, left - 1);
        return { ErrorCode: "InternalFailure", ErrorMessage: "try again" };
      }
      accepted.push(envelope);
      return { EventId: randomUUID() };
    });
    return { Entries: results, FailedEntryCount: results.filter((result) => result.ErrorCode).length };
  });
  return {
    client,
    mock,
    accepted,
    failures,
    calls,
    setOutage(on: boolean) {
      outage = on;
    },
  };
}

function eventBridgeAdapter(): Adapter {
  const fakes: ReturnType<typeof fakeEventBridge>[] = [];
  return {
    name: "EventBridgeBus (aws-sdk-client-mock)",
    make() {
      const fake = fakeEventBridge();
      fakes.push(fake);
      return { bus: new EventBridgeBus(fake.client, BUS_NAME, { attempts: 3, baseDelayMs: 1 }), delivered: async () => [...fake.accepted] };
    },
    stop() {
      for (const fake of fakes) fake.mock.restore();
    },
  };
}

function ping(n = 0): Envelope {
  return Event.create({ type: "diag.ping", tenantId: "tenant-1", data: { pingId: `ping-${n}`, failTimes: 0, holdMs: 0 } });
}

const ids = (envelopes: Envelope[]) => envelopes.map((envelope) => envelope.id).sort();

describe.each([localAdapter(), eventBridgeAdapter()])("Bus contract: $name", (adapter) => {
  afterAll(() => adapter.stop());

  it("delivers a diag.ping envelope unchanged", async () => {
    const { bus, delivered } = adapter.make();
    const envelope = ping();
    expect(await bus.publish([envelope])).toEqual({ failed: [] });
    expect(await delivered()).toEqual([envelope]);
  });

  it("delivers 25 envelopes, each exactly once", async () => {
    const { bus, delivered } = adapter.make();
    const envelopes = Array.from({ length: 25 }, (_, i) => ping(i));
    expect(await bus.publish(envelopes)).toEqual({ failed: [] });
    expect(ids(await delivered())).toEqual(ids(envelopes));
  });

  it("reports an unknown event type and a malformed envelope in `failed`, and still delivers the rest", async () => {
    const { bus, delivered } = adapter.make();
    const good = ping(1);
    const unknown = { ...ping(2), type: "nobody.listens" };
    const malformed = { ...ping(3), tenantId: "" };
    const result = await bus.publish([unknown, good, malformed]);
    expect(result.failed.map((failure) => failure.envelope)).toEqual([unknown, malformed]);
    expect(result.failed[0]?.reason).toContain("nobody.listens");
    expect(result.failed[1]?.reason).not.toBe("");
    expect(await delivered()).toEqual([good]);
  });

  it("does nothing for an empty list", async () => {
    const { bus, delivered } = adapter.make();
    expect(await bus.publish([])).toEqual({ failed: [] });
    expect(await delivered()).toEqual([]);
  });
});

describe("EventBridgeBus specifics", () => {
  const fakes: ReturnType<typeof fakeEventBridge>[] = [];
  const make = (attempts = 3) => {
    const fake = fakeEventBridge();
    fakes.push(fake);
    return { fake, bus: new EventBridgeBus(fake.client, BUS_NAME, { attempts, baseDelayMs: 1 }) };
  };
  afterAll(() => {
    for (const fake of fakes) fake.mock.restore();
  });

  it("sends 25 envelopes as PutEvents calls of 10, 10 and 5", async () => {
    const { fake, bus } = make();
    const envelopes = Array.from({ length: 25 }, (_, i) => ping(i));
    await bus.publish(envelopes);
    expect(fake.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect(fake.calls.flat()).toEqual(envelopes.map((envelope) => envelope.id));
    const [first] = fake.mock.commandCalls(PutEventsCommand);
    expect(first?.args[0].input.Entries?.[0]).toEqual({
      Source: "sambung",
      DetailType: "diag.ping",
      Detail: JSON.stringify(envelopes[0]),
      EventBusName: BUS_NAME,
    });
  });

  it("retries only the entries EventBridge refused", async () => {
    const { fake, bus } = make();
    const envelopes = Array.from({ length: 25 }, (_, i) => ping(i));
    const refusedOnce = [envelopes[3], envelopes[12], envelopes[24]].map((envelope) => envelope?.id ?? "");
    for (const id of refusedOnce) fake.failures.set(id, 1);
    expect(await bus.publish(envelopes)).toEqual({ failed: [] });
    expect(fake.calls.map((call) => call.length)).toEqual([10, 10, 5, 3]);
    expect(fake.calls[3]).toEqual(refusedOnce);
    expect(ids(fake.accepted)).toEqual(ids(envelopes));
  });

  it("reports entries refused on every try in `failed`, without throwing or dropping any", async () => {
    const { fake, bus } = make(3);
    const envelopes = Array.from({ length: 12 }, (_, i) => ping(i));
    const doomed = [envelopes[0], envelopes[11]] as Envelope[];
    for (const envelope of doomed) fake.failures.set(envelope.id, Infinity);
    const result = await bus.publish(envelopes);
    expect(result.failed.map((failure) => failure.envelope)).toEqual(doomed);
    for (const failure of result.failed) expect(failure.reason).toBe("InternalFailure: try again");
    expect(fake.calls.map((call) => call.length)).toEqual([10, 2, 2, 2]);
    expect(ids([...fake.accepted, ...doomed])).toEqual(ids(envelopes));
  });

  it("reports every envelope when the PutEvents call itself keeps failing", async () => {
    const { fake, bus } = make(2);
    fake.setOutage(true);
    const envelopes = Array.from({ length: 11 }, (_, i) => ping(i));
    const result = await bus.publish(envelopes);
    expect(result.failed.map((failure) => failure.envelope)).toEqual(envelopes);
    expect(result.failed[0]?.reason).toBe("Service unavailable");
    expect(fake.calls.map((call) => call.length)).toEqual([10, 1, 10, 1]);
  });
});
