import { describe, expect, it } from "vitest";
import { countByKind, datesFrom, DAY_MS, differences, isoDay, minimalMessages, Model, openAll, putAri, RATE, ROOMS, type AriUpdate, useChannelsHub } from "../support/channels.ts";
import { prng } from "../support/prng.ts";
import { waitFor } from "../support/wait.ts";

/** 1,000 updates: the whole year set once per room and rate, then 994 changes of every kind over random spans. */
function updatesFor(startMs: number, count: number, seed = 20260101): AriUpdate[] {
  const next = prng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const first = isoDay(startMs);
  const last = isoDay(startMs + 364 * DAY_MS);
  const updates: AriUpdate[] = openAll(first, last, 5);
  while (updates.length < count) {
    const offset = Math.floor(next() * 365);
    const span = 1 + Math.floor(next() * 21);
    const from = isoDay(startMs + offset * DAY_MS);
    const to = isoDay(startMs + Math.min(364, offset + span) * DAY_MS);
    const days = next() < 0.2 ? (["fri", "sat"] as string[]) : undefined;
    const roomType = pick(ROOMS);
    if (next() < 0.4) {
      updates.push(next() < 0.8 ? { roomType, from, to, days, available: Math.floor(next() * 9) } : { roomType, from, to, days, closed: next() < 0.5 });
      continue;
    }
    const change = pick(["rate", "minLos", "maxLos", "closed", "closedToArrival", "closedToDeparture"] as const);
    const update: AriUpdate = { roomType, ratePlan: RATE, from, to, days };
    if (change === "rate") Object.assign(update, { rate: pick([900_000, 1_000_000, 1_250_000]), currency: "IDR" });
    else if (change === "minLos") update.minLos = pick([1, 2, 3]);
    else if (change === "maxLos") update.maxLos = pick([7, 14]);
    else update[change] = next() < 0.5;
    updates.push(update);
  }
  return updates;
}

describe("ARI: PMS to channels", () => {
  // Workers start after the burst, so the test can see the burst collapse into one job.
  const running = useChannelsHub({ workers: false });

  it("1,000 updates for 3 room types over 365 days reach each channel as the minimal set of messages, and each channel ends equal to the PMS", async () => {
    const { hub, setup } = running;
    const startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    const dates = datesFrom(startMs, 365);
    const updates = updatesFor(startMs, 1000);
    const model = new Model();
    for (const update of updates) model.apply(update);

    // A burst of ten calls from the PMS...
    for (let at = 0; at < updates.length; at += 100) {
      const { status, body } = await putAri(hub, setup.apiKey, setup.locationId, updates.slice(at, at + 100));
      expect(status, JSON.stringify(body)).toBe(202);
    }
    // ...queues one coalescing job for the location.
    const queued = await waitFor(async () => {
      const stats = await hub.ports.queue.stats("channel");
      return stats.visible > 0 ? stats : undefined;
    }, "the coalescing job");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await hub.ports.queue.stats("channel")).visible).toBe(1);
    expect(queued.visible).toBe(1);

    for (const poller of hub.pollers.values()) poller.start();
    for (const channel of setup.channels) {
      await waitFor(() => differences(model, channel, dates).length === 0, `${channel.format} to equal the PMS state`, 20_000);
    }
    const overview = await waitFor(async () => {
      const { body } = await setup.api<{ channels: { provider: { id: string }; pendingChunks: number; status: { lastAckAt?: string } }[] }>("GET", `/api/admin/channels?locationId=${setup.locationId}`);
      return body.channels.every((channel) => channel.pendingChunks === 0 && channel.status.lastAckAt) ? body : undefined;
    }, "every channel to acknowledge everything");
    expect(overview.channels).toHaveLength(3);

    for (const channel of setup.channels) {
      const expected = minimalMessages(model, channel.format, dates, channel.limit);
      expect(countByKind(channel.state), channel.format).toEqual(expected);
      // Coalescing matters: far fewer messages than updates.
      expect(Object.values(expected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(5);
      expect(channel.state.rejected).toEqual([]);
      // Every message respected the channel's limit.
      for (const message of channel.state.accepted) expect(message.items).toBeLessThanOrEqual(channel.limit);
    }
    expect(differences(model, setup.booking, dates)).toEqual([]);
  }, 30_000);

  it("refuses updates that do not fit the property's setup, naming each problem", async () => {
    const { hub, setup } = running;
    const today = isoDay(hub.clock.now());
    const { status, body } = await putAri(hub, setup.apiKey, setup.locationId, [
      { roomType: "VILLA", from: today, to: today, available: 1 },
      { roomType: "STD", ratePlan: "NOPE", from: today, to: today, rate: 1 },
      { roomType: "STD", from: "2020-01-01", to: "2020-01-02", available: 1 },
    ]);
    expect(status).toBe(400);
    expect(body.error?.message).toMatch(/updates\.0\.roomType: VILLA is not a room type/);
    expect(body.error?.message).toMatch(/updates\.1\.ratePlan: NOPE is not a rate plan of STD/);
    expect(body.error?.message).toMatch(/updates\.2\.from: from \(2020-01-01\) is in the past/);
    const backwards = await putAri(hub, setup.apiKey, setup.locationId, [{ roomType: "STD", from: today, to: "2020-01-01", available: 1 }]);
    expect(backwards.status).toBe(400);
    expect(backwards.body.error?.message).toMatch(/is before from/);
    const invalid = await putAri(hub, setup.apiKey, setup.locationId, [{ roomType: "STD", from: today, to: today, rate: 10.5 } as AriUpdate]);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.message).toMatch(/ratePlan|integer/);
  });
});
