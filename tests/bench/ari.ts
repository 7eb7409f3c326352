import { Agent, request } from "node:http";
import { datesFrom, DAY_MS, differences, isoDay, Model, RATE, ROOMS, setupChannels, type AriUpdate, type ChannelSetup } from "../support/channels.ts";
import { OWNER, signIn, type TestRuntime } from "../support/runtime.ts";
import type { Bench } from "./report.ts";
import { startBareServer, startHub } from "./servers.ts";

const REQUESTS = Number(process.env.BENCH_ARI_REQUESTS ?? 50);
const UPDATES_PER_REQUEST = 100;
// One request at a time, as a PMS sends its changes: two requests in flight that set the
// same room and date have no order, so the expected end state would be undefined.
const PARALLEL = 1;

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function put(url: string, body: string, key: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: "PUT", agent, headers: { "content-type": "application/json", authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

/** Sends every body, PARALLEL at a time; returns the statuses. */
async function sendAll(url: string, bodies: string[], key: string): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        statuses.push(await put(url, body, key));
      }
    }),
  );
  return statuses;
}

/** Updates of every kind over random spans of up to two months, across the year. */
function workload(startMs: number, requests: number, seed = 7): { updates: AriUpdate[][]; dates: number } {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  let dates = 0;
  const updates = Array.from({ length: requests }, () =>
    Array.from({ length: UPDATES_PER_REQUEST }, (): AriUpdate => {
      const offset = Math.floor(next() * 330);
      const span = 1 + Math.floor(next() * 60);
      dates += Math.min(span, 364 - offset) + 1;
      const roomType = ROOMS[Math.floor(next() * ROOMS.length)] as string;
      const from = isoDay(startMs + offset * DAY_MS);
      const to = isoDay(startMs + Math.min(364, offset + span) * DAY_MS);
      const pick = next();
      if (pick < 0.4) return { roomType, from, to, available: Math.floor(next() * 6) };
      if (pick < 0.8) return { roomType, ratePlan: RATE, from, to, rate: 800_000 + Math.floor(next() * 5) * 100_000, currency: "IDR" };
      return { roomType, ratePlan: RATE, from, to, minLos: 1 + Math.floor(next() * 3), closedToArrival: next() < 0.2 };
    }),
  );
  return { updates, dates };
}

/**
 * Issue #10: date-level ARI updates per second from `PUT /api/v1/ari` until every
 * channel acknowledged them: the hub (its own process) stores the state, coalesces
 * it and pushes it to three simulated channels in this process (OTA XML, EQC, JSON),
 * whose own per-date state must end equal to what was sent.
 */
export const ari: Bench = async () => {
  const startMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const { updates, dates: dateUpdates } = workload(startMs, REQUESTS);
  const bodies = (locationId: string) => updates.map((list) => JSON.stringify({ locationId, updates: list }));

  const bare = await startBareServer();
  const bareStarted = performance.now();
  await sendAll(`${bare.url}/api/v1/ari`, bodies("loc"), "none");
  const bareMs = performance.now() - bareStarted;
  await bare.stop();

  const hub = await startHub({ SAMBUNG_ALLOW_PRIVATE_URLS: "1", SAMBUNG_OWNER_EMAIL: OWNER.email, SAMBUNG_OWNER_PASSWORD: OWNER.password, LOG_LEVEL: "error" });
  let setup: ChannelSetup | undefined;
  try {
    const token = await signIn(hub.url);
    const runtime = { url: hub.url, token, clock: { now: () => Date.now() } } as unknown as TestRuntime;
    setup = await setupChannels(runtime, { booking: 500, expedia: 2000, json: 200 });
    const channels = setup.channels;
    const model = new Model();
    for (const list of updates) for (const update of list) model.apply(update);
    const dates = datesFrom(startMs, 365);
    const url = `${hub.url}/api/v1/ari`;

    const started = performance.now();
    const statuses = await sendAll(url, bodies(setup.locationId), setup.apiKey);
    const acceptedMs = performance.now() - started;
    let ackedMs = Number.NaN;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const { body } = await setup.api<{ channels: { pendingChunks: number }[] }>("GET", `/api/admin/channels?locationId=${setup.locationId}`);
      if (body.channels.every((channel) => channel.pendingChunks === 0) && channels.every((channel) => differences(model, channel, dates).length === 0)) {
        ackedMs = performance.now() - started;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const rejected = statuses.filter((status) => status !== 202).length;
    const perSecond = dateUpdates / (ackedMs / 1000);
    const ingestRatio = bareMs / acceptedMs;
    const messages = channels.map((channel) => `${channel.format} ${channel.state.accepted.length} messages / ${channel.state.accepted.reduce((sum, message) => sum + message.items, 0)} elements`);
    return {
      title: "ARI: PUT /api/v1/ari to acknowledged channel messages (issue #10)",
      lines: [
        `${REQUESTS} requests × ${UPDATES_PER_REQUEST} updates = ${dateUpdates.toLocaleString("en")} date-level updates (3 room types, 365 days), ${PARALLEL} at a time`,
        `accepted by the hub in ${acceptedMs.toFixed(0)} ms (${(dateUpdates / (acceptedMs / 1000)).toFixed(0)} date-level updates/s); the same bodies to bare node:http in ${bareMs.toFixed(0)} ms (ratio bare/hub ${ingestRatio.toFixed(2)})`,
        `all three channels acknowledged and equal to the PMS after ${ackedMs.toFixed(0)} ms: ${perSecond.toFixed(0)} date-level updates/s end to end`,
        `coalesced into: ${messages.join("; ")}`,
      ],
      checks: [
        { name: "ARI date-level updates/s, PUT to every channel acknowledged", value: Number.isFinite(perSecond) ? perSecond : 0, unit: "/s", target: "≥ 5,000", pass: perSecond >= 5000 },
        { name: "ARI requests refused", value: rejected, unit: "", target: "= 0", pass: rejected === 0 },
      ],
    };
  } finally {
    await setup?.close();
    await hub.stop();
  }
};
