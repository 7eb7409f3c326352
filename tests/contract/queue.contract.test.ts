import { setTimeout as sleep } from "node:timers/promises";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs, type FauxqsServer } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqsQueue } from "../../packages/core/src/adapters/aws/queue.ts";
import { ManualClock } from "../../packages/core/src/adapters/clock.ts";
import { LocalDatabase } from "../../packages/core/src/adapters/local/database.ts";
import { SqliteQueue, UnknownQueueError } from "../../packages/core/src/adapters/local/queue.ts";
import type { Queue, ReceivedMessage } from "../../packages/core/src/port.ts";

const NAME = "work";
const MAX_RECEIVES = 3;

/** One fresh queue (with its dead-letter queue) per test. */
interface Harness {
  queue: Queue;
  /** Lets `seconds` pass for the queue: the manual clock locally, a real wait on SQS. */
  wait(seconds: number): Promise<void>;
  /** The queue's idea of now (ms). */
  now(): number;
}

interface Adapter {
  name: string;
  start(): Promise<void>;
  make(): Promise<Harness>;
  stop(): Promise<void>;
}

function sqliteAdapter(): Adapter {
  const databases: LocalDatabase[] = [];
  return {
    name: "SqliteQueue",
    async start() {},
    async make() {
      const database = new LocalDatabase(":memory:");
      databases.push(database);
      const clock = new ManualClock();
      const queue = new SqliteQueue(database, clock, [{ name: NAME, maxReceiveCount: MAX_RECEIVES, visibilityTimeoutSeconds: 30 }]);
      return { queue, wait: async (seconds) => clock.advance(seconds * 1000), now: () => clock.now() };
    },
    async stop() {
      for (const database of databases) database.close();
    },
  };
}

function sqsAdapter(): Adapter {
  let server: FauxqsServer | undefined;
  let client: SQSClient | undefined;
  let made = 0;
  return {
    name: "SqsQueue (fauxqs)",
    async start() {
      server = await startFauxqs({ port: 0, logger: false });
      client = new SQSClient({
        endpoint: `http://127.0.0.1:${server.port}`,
        region: "us-east-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
    },
    async make() {
      if (!client) throw new Error("start() first");
      const prefix = `${NAME}-${++made}`;
      const dlq = await client.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }));
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }));
      const main = await client.send(
        new CreateQueueCommand({
          QueueName: prefix,
          Attributes: {
            VisibilityTimeout: "30",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: MAX_RECEIVES }),
          },
        }),
      );
      const queue = new SqsQueue(client, { [NAME]: { url: main.QueueUrl ?? "", dlqUrl: dlq.QueueUrl ?? "" } }, { sweepWaitSeconds: 0 });
      // A little over the time asked: SQS deadlines are real milliseconds.
      return { queue, wait: (seconds) => sleep(seconds * 1000 + 150), now: () => Date.now() };
    },
    async stop() {
      client?.destroy();
      await server?.stop();
    },
  };
}

const adapters = [sqliteAdapter(), sqsAdapter()];

describe.each(adapters)("Queue contract: $name", (adapter) => {
  beforeAll(() => adapter.start());
  afterAll(() => adapter.stop());

  const receive = (queue: Queue, visibilityTimeoutSeconds = 30) => queue.receive(NAME, { max: 10, visibilityTimeoutSeconds });
  const bodies = (messages: { body: string }[]) => messages.map((message) => message.body).sort();

  /** Receives and releases until the queue's dead-letter rule has taken the message(s). */
  async function killAll(queue: Queue, receivedAlready = 0): Promise<void> {
    for (let i = receivedAlready; i < MAX_RECEIVES; i++) {
      for (const message of await receive(queue)) await queue.release(NAME, message.receiptHandle, 0);
    }
    expect(await receive(queue)).toEqual([]);
  }

  it("sends, receives and acks", async () => {
    const { queue, now } = await adapter.make();
    const before = now();
    await queue.send(NAME, [{ body: "one" }, { body: "two" }, { body: "three" }]);
    const received = await receive(queue);
    expect(bodies(received)).toEqual(["one", "three", "two"]);
    for (const message of received) {
      expect(message.receiveCount).toBe(1);
      expect(message.id).not.toBe("");
      expect(message.receiptHandle).not.toBe("");
      expect(message.sentAt).toBeGreaterThanOrEqual(before - 1000);
      expect(message.sentAt).toBeLessThanOrEqual(now());
    }
    for (const message of received) await queue.ack(NAME, message.receiptHandle);
    expect(await receive(queue)).toEqual([]);
    expect(await queue.stats(NAME)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0, oldestDeadAgeSeconds: 0 });
  });

  it("sends more than one SQS batch (10) at once", async () => {
    const { queue } = await adapter.make();
    const sent = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, "0")}`);
    await queue.send(NAME, sent.map((body) => ({ body })));
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(...(await receive(queue)).map((message) => message.body));
    expect(seen.sort()).toEqual(sent);
  });

  it("hides a received message for its visibility timeout, then hands it out again", async () => {
    const { queue, wait } = await adapter.make();
    await queue.send(NAME, [{ body: "job" }]);
    const [first] = await receive(queue, 1);
    expect(first?.receiveCount).toBe(1);
    expect(await receive(queue, 1)).toEqual([]);
    await wait(1);
    const [again] = await receive(queue, 1);
    expect(again).toMatchObject({ id: first?.id, body: "job", receiveCount: 2 });
    expect(again?.receiptHandle).not.toBe(first?.receiptHandle);
  });

  it("releases a message now or after some seconds", async () => {
    const { queue, wait } = await adapter.make();
    await queue.send(NAME, [{ body: "retry-me" }]);
    const [first] = (await receive(queue)) as [ReceivedMessage];
    await queue.release(NAME, first.receiptHandle, 0);
    const [second] = (await receive(queue)) as [ReceivedMessage];
    expect(second).toMatchObject({ id: first.id, receiveCount: 2 });
    await queue.release(NAME, second.receiptHandle, 1);
    expect(await receive(queue)).toEqual([]);
    await wait(1);
    expect(bodies(await receive(queue))).toEqual(["retry-me"]);
  });

  it("holds delayed messages back until their delay has passed", async () => {
    const { queue, wait } = await adapter.make();
    await queue.send(NAME, [{ body: "later", delaySeconds: 1 }, { body: "now", delaySeconds: -5 }, { body: "much later", delaySeconds: 5000 }]);
    expect(await queue.stats(NAME)).toMatchObject({ visible: 1, delayed: 2 });
    expect(bodies(await receive(queue))).toEqual(["now"]);
    await wait(1);
    expect(bodies(await receive(queue))).toEqual(["later"]);
  });

  it("moves a message to the dead-letter queue after maxReceiveCount receives", async () => {
    const { queue } = await adapter.make();
    await queue.send(NAME, [{ body: "poison" }, { body: "fine" }]);
    const first = await receive(queue);
    for (const message of first) {
      if (message.body === "fine") await queue.ack(NAME, message.receiptHandle);
      else await queue.release(NAME, message.receiptHandle, 0);
    }
    await killAll(queue, 1);
    expect(await queue.stats(NAME)).toMatchObject({ visible: 0, inFlight: 0, delayed: 0, dead: 1 });
    const [dead] = await queue.peekDead(NAME, 10);
    expect(dead).toMatchObject({ body: "poison" });
    expect(dead?.receiveCount).toBeGreaterThanOrEqual(MAX_RECEIVES);
    expect(dead?.sentAt).toBeGreaterThan(0);
  });

  it("peeks at dead letters without consuming them", async () => {
    const { queue } = await adapter.make();
    await queue.send(NAME, [{ body: "d1" }, { body: "d2" }, { body: "d3" }]);
    await killAll(queue);
    const first = await queue.peekDead(NAME, 10);
    expect(bodies(first)).toEqual(["d1", "d2", "d3"]);
    const again = await queue.peekDead(NAME, 10);
    expect(again.map((letter) => letter.id).sort()).toEqual(first.map((letter) => letter.id).sort());
    expect(await queue.peekDead(NAME, 2)).toHaveLength(2);
    expect((await queue.stats(NAME)).dead).toBe(3);
    expect(await receive(queue)).toEqual([]);
  });

  it("redrives every dead letter back with a fresh receive count", async () => {
    const { queue } = await adapter.make();
    await queue.send(NAME, [{ body: "r1" }, { body: "r2" }]);
    await killAll(queue);
    expect(await queue.redrive(NAME)).toBe(2);
    expect((await queue.stats(NAME)).dead).toBe(0);
    expect(await queue.peekDead(NAME, 10)).toEqual([]);
    const back = await receive(queue);
    expect(bodies(back)).toEqual(["r1", "r2"]);
    expect(back.map((message) => message.receiveCount)).toEqual([1, 1]);
    expect(await queue.redrive(NAME)).toBe(0);
  });

  it("redrives only the dead letters named by id, or at most `max`", async () => {
    const { queue } = await adapter.make();
    await queue.send(NAME, [{ body: "a" }, { body: "b" }, { body: "c" }, { body: "d" }]);
    await killAll(queue);
    const dead = await queue.peekDead(NAME, 10);
    const byBody = new Map(dead.map((letter) => [letter.body, letter.id]));
    expect(await queue.redrive(NAME, { ids: [byBody.get("b") ?? "", "no-such-id"] })).toBe(1);
    expect(bodies(await queue.peekDead(NAME, 10))).toEqual(["a", "c", "d"]);
    expect(bodies(await receive(queue))).toEqual(["b"]);
    expect(await queue.redrive(NAME, { max: 2 })).toBe(2);
    expect(await queue.peekDead(NAME, 10)).toHaveLength(1);
    expect((await queue.stats(NAME)).dead).toBe(1);
  });

  it("reports visible, in-flight, delayed and dead counts and the oldest dead letter's age", async () => {
    const { queue, wait } = await adapter.make();
    await queue.send(NAME, [{ body: "dies" }]);
    await killAll(queue);
    await queue.send(NAME, [{ body: "v1" }, { body: "v2" }, { body: "v3" }, { body: "late", delaySeconds: 600 }]);
    const taken = await queue.receive(NAME, { max: 1, visibilityTimeoutSeconds: 30 });
    expect(taken).toHaveLength(1);
    expect(await queue.stats(NAME)).toMatchObject({ visible: 2, inFlight: 1, delayed: 1, dead: 1 });
    await wait(1);
    const { oldestDeadAgeSeconds } = await queue.stats(NAME);
    expect(oldestDeadAgeSeconds).toBeGreaterThanOrEqual(1);
    expect(oldestDeadAgeSeconds).toBeLessThan(60);
  });

  it("refuses a queue it does not know", async () => {
    const { queue } = await adapter.make();
    await expect(queue.send("no-such-queue", [{ body: "x" }])).rejects.toBeInstanceOf(UnknownQueueError);
    await expect(queue.stats("no-such-queue")).rejects.toBeInstanceOf(UnknownQueueError);
  });
});
