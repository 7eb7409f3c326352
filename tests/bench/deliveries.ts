import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { call, OWNER, signIn } from "../support/runtime.ts";
import { percentile, type Bench } from "./report.ts";
import { startHub } from "./servers.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Publishing at full speed before anything is measured (see the warm-up below). */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
/** Events published per second in the latency run; with FANOUT subscriptions that many deliveries each. */
const LATENCY_EVENTS_PER_SECOND = Number(process.env.BENCH_DELIVERY_RATE ?? 1000);

const wallClock = () => performance.timeOrigin + performance.now();

interface Sink {
  url: string;
  /** Arrival minus the event's `sentAt`, in ms, per delivery; with the arrival time. */
  arrivals: { at: number; latency: number; run: string }[];
  failures: number;
  close(): Promise<void>;
}

/** The receiving end, in this process: answers 200 at once and notes when each delivery arrived. */
async function startSink(): Promise<Sink> {
  const sink: Sink = { url: "", arrivals: [], failures: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const at = wallClock();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: { sentAt: number; run: string } };
        sink.arrivals.push({ at, latency: at - body.data.sentAt, run: body.data.run });
      } catch {
        sink.failures += 1;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: string, key: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

interface Published {
  sent: number;
  rejected: number;
}

function event(run: string, index: number): string {
  return JSON.stringify({ type: "reservation.created", data: { reservationId: `R-${run}-${index}`, run, sentAt: wallClock() } });
}

/** As fast as the hub takes them: `connections` publishers, each waiting for its answer before the next. */
async function closedLoop(url: string, keys: string[], run: string, seconds: number, connections: number): Promise<Published> {
  const result: Published = { sent: 0, rejected: 0 };
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, lane) => {
      const key = keys[lane % keys.length] ?? "";
      while (performance.now() < end) {
        const status = await post(url, event(run, result.sent), key);
        result.sent += 1;
        if (status !== 202) result.rejected += 1;
      }
    }),
  );
  return result;
}

/** A fixed rate, whatever the answers take (open loop), so latency is measured under a known load. */
async function openLoop(url: string, keys: string[], run: string, seconds: number, perSecond: number): Promise<Published> {
  const result: Published = { sent: 0, rejected: 0 };
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round(seconds * perSecond);
  while (result.sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
    while (result.sent < due) {
      const index = result.sent;
      result.sent += 1;
      pending.push(
        post(url, event(run, index), keys[index % keys.length] ?? "").then((status) => {
          if (status !== 202) result.rejected += 1;
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  return result;
}

async function drained(sink: Sink, run: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    count = sink.arrivals.filter((arrival) => arrival.run === run).length;
    if (count >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return count;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * Issue #5: events published through POST /api/v1/events (API keys, "events"
 * scope) to the local runtime in its own process, fanned out by the `deliver`
 * worker to subscriptions pointing at a receiver in this process. The event
 * carries the publisher's clock; the receiver notes its arrival, so latency is
 * publish → signed delivery received, the whole path.
 */
export const deliveries: Bench = async () => {
  const sink = await startSink();
  const hub = await startHub({
    SAMBUNG_ALLOW_PRIVATE_URLS: "1",
    SAMBUNG_OWNER_EMAIL: OWNER.email,
    SAMBUNG_OWNER_PASSWORD: OWNER.password,
  });
  try {
    const token = await signIn(hub.url);
    const admin = <T>(method: string, path: string, body?: unknown) => call<T>(hub.url, method, path, body, { authorization: `Bearer ${token}` });
    // One key per publisher: each key's per-minute budget is one record every request updates.
    const keys: string[] = [];
    for (let index = 0; index < 32; index += 1) {
      keys.push((await admin<{ key: string }>("POST", "/api/admin/api-keys", { name: `bench ${index}`, scopes: ["events"], rateLimitPerMinute: 100_000 })).body.key);
    }
    const subscribe = async (count: number) => {
      const ids: string[] = [];
      for (let index = 0; index < count; index += 1) {
        const { status, body } = await admin<{ id: string }>("POST", "/api/admin/subscriptions", { url: sink.url, eventTypes: ["reservation.*"] });
        if (status !== 201) throw new Error(`subscription not created: ${status} ${JSON.stringify(body)}`);
        ids.push(body.id);
      }
      return ids;
    };
    const unsubscribe = async (ids: string[]) => {
      for (const id of ids) await admin("DELETE", `/api/admin/subscriptions/${id}`);
    };
    // The deliver worker runs apart from the API (its own thread here, its own Lambda on
    // AWS) and sees subscription changes within a second (outbound/subscriptions.ts):
    // events published sooner fan out to the set before the change.
    const propagated = () => new Promise((resolve) => setTimeout(resolve, 1100));
    const url = `${hub.url}/api/v1/events`;

    const arrivalsOf = (run: string) => sink.arrivals.filter((arrival) => arrival.run === run);
    const latencyOf = (run: string) => arrivalsOf(run).map((arrival) => arrival.latency).sort((a, b) => a - b);
    const rateOf = (run: string) => {
      const times = arrivalsOf(run).map((arrival) => arrival.at);
      return times.length / ((Math.max(...times) - Math.min(...times)) / 1000);
    };
    let expectedTotal = 0;
    let deliveredTotal = 0;
    let rejected = 0;
    /** Waits for every accepted event's deliveries to arrive and adds them to the totals; returns how many arrived. */
    const settled = async (run: string, fanout: number, published: { sent: number; rejected: number }) => {
      const expected = (published.sent - published.rejected) * fanout;
      const got = await drained(sink, run, expected, 60_000);
      expectedTotal += expected;
      deliveredTotal += got;
      rejected += published.rejected;
      return got;
    };
    const fixed = async (run: string, fanout: number, eventsPerSecond: number) => {
      const published = await openLoop(url, keys, run, SECONDS, eventsPerSecond);
      const got = await settled(run, fanout, published);
      const latency = latencyOf(run);
      return { published, got, p50: percentile(latency, 50), p99: percentile(latency, 99), max: latency.at(-1) ?? 0 };
    };
    const max = async (run: string, fanout: number, connections: number) => {
      const published = await closedLoop(url, keys, run, SECONDS, connections);
      const got = await settled(run, fanout, published);
      return { published, got, rate: rateOf(run) };
    };

    // Warm-up: keep-alive connections, SQLite pages and the JIT. V8 optimizes a function
    // after some thousands of calls, so a new hub compiles its per-event code in bursts until
    // about 15,000 events (seen with --trace-opt), and on 2 cores each burst held deliveries
    // back for 200–500 ms. A hub that has been up a while is past that: the runs below start
    // after WARMUP_SECONDS of publishing at full speed, every event delivered and counted.
    let subs = await subscribe(1);
    await propagated();
    await settled("warmup", 1, await closedLoop(url, keys, "warmup", WARMUP_SECONDS, 32));

    // Fan-out 1: each published event is one delivery.
    const half = await fixed("half1", 1, LATENCY_EVENTS_PER_SECOND / 2);
    const one = await fixed("fixed1", 1, LATENCY_EVENTS_PER_SECOND);
    const max1 = await max("max1", 1, 32);

    // Fan-out 4: the same 1,000 deliveries/s from a quarter of the publishes.
    await unsubscribe(subs);
    subs = await subscribe(4);
    await propagated();
    const four = await fixed("fixed4", 4, LATENCY_EVENTS_PER_SECOND / 4);
    const max4 = await max("max4", 4, 16);
    await unsubscribe(subs);

    const fixedLine = (label: string, result: Awaited<ReturnType<typeof fixed>>) =>
      `${label}: ${result.got} of ${result.published.sent * (label.includes("× 4") ? 4 : 1)} delivered, publish→receiver p50 ${ms(result.p50)}  p99 ${ms(result.p99)}  max ${ms(result.max)}`;
    const lost = expectedTotal - deliveredTotal;
    return {
      title: "Deliveries: POST /api/v1/events → outbox → deliver worker → signed POST to a receiver (issue #5)",
      lines: [
        fixedLine(`${LATENCY_EVENTS_PER_SECOND / 2} events/s × 1 subscription, ${SECONDS} s`, half),
        fixedLine(`${LATENCY_EVENTS_PER_SECOND} events/s × 1 subscription, ${SECONDS} s`, one),
        fixedLine(`${LATENCY_EVENTS_PER_SECOND / 4} events/s × 4 subscriptions, ${SECONDS} s`, four),
        `max, fan-out 1 (32 publishers): ${max1.published.sent} events, ${max1.got} delivered = ${max1.rate.toFixed(0)} deliveries/s`,
        `max, fan-out 4 (16 publishers): ${max4.published.sent} events, ${max4.got} delivered = ${max4.rate.toFixed(0)} deliveries/s`,
        `publishes refused: ${rejected}; deliveries missing after drain: ${lost}; unreadable at the receiver: ${sink.failures}`,
        "hub, publishers and receiver share one 2-core machine (and whatever else runs on it)",
      ],
      checks: [
        { name: "deliveries/s, fan-out 1 (each delivery also a publish)", value: max1.rate, unit: "/s", target: "≥ 1,000", pass: max1.rate >= 1000 },
        { name: "deliveries/s, fan-out 4", value: max4.rate, unit: "/s", target: "≥ 1,000", pass: max4.rate >= 1000 },
        { name: "publish→delivery p99 at 1,000 deliveries/s, fan-out 1", value: one.p99, unit: "ms", target: "≤ 100 ms", pass: one.p99 <= 100 },
        { name: "publish→delivery p99 at 1,000 deliveries/s, fan-out 4", value: four.p99, unit: "ms", target: "≤ 100 ms", pass: four.p99 <= 100 },
        { name: "deliveries lost or publishes refused", value: lost + rejected, unit: "", target: "= 0", pass: lost + rejected === 0 },
      ],
    };
  } finally {
    agent.destroy();
    await hub.stop();
    await sink.close();
  }
};
