import { describe, expect, it } from "vitest";
import { ariSender, datesFrom, DAY_MS, differences, isoDay, Model, openAll, RATE, useChannelsHub, waitInStep } from "../support/channels.ts";
import { waitFor } from "../support/wait.ts";

describe("ARI: a channel that was down", () => {
  const running = useChannelsHub();

  it("gets the latest state when it comes back after an hour, not the history it missed", async () => {
    const { hub, setup } = running;
    const startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    const dates = datesFrom(startMs, 60);
    const day = (offset: number) => isoDay(startMs + offset * DAY_MS);
    const model = new Model();
    const send = ariSender(hub, setup, model);
    await send(openAll(day(0), day(59), 5));
    await waitInStep(model, setup.channels, dates, "in step");

    const outageStarted = Date.now();
    setup.expedia.state.down = true;
    // An hour of changes: availability and rates move six times while Expedia answers 503.
    for (let round = 1; round <= 6; round += 1) {
      hub.clock.advance(10 * 60_000);
      await send(round % 2 === 1 ? [{ roomType: "STD", from: day(10), to: day(20), available: round }] : [{ roomType: "DLX", ratePlan: RATE, from: day(15), to: day(25), rate: 1_000_000 + round * 10_000, currency: "IDR" }]);
      await waitInStep(model, [setup.booking, setup.json], dates, `to follow round ${round}`);
    }
    expect(setup.expedia.state.acceptedSince(outageStarted)).toEqual([]);
    const failing = await setup.api<{ channels: { provider: { id: string }; pendingChunks: number; status: { failingSince?: string; lastError?: string } }[] }>("GET", `/api/admin/channels?locationId=${setup.locationId}`);
    const expediaRow = failing.body.channels.find((row) => row.provider.id === setup.expedia.providerId);
    expect(expediaRow?.pendingChunks).toBeGreaterThan(0);
    expect(expediaRow?.status.failingSince).toBeTruthy();
    expect(expediaRow?.status.lastError).toMatch(/503|circuit open/);

    // Rate parity: Expedia still holds the old DLX rate the others have moved on from.
    const parity = await setup.api<{ disagreements: { roomType: string; date: string; pms?: { rate?: number }; quotes: { providerId: string; rate?: number }[] }[] }>(
      "GET",
      `/api/admin/channels/parity?locationId=${setup.locationId}&from=${day(0)}&to=${day(59)}`,
    );
    expect(parity.status).toBe(200);
    expect(parity.body.disagreements.map((row) => row.date)).toEqual(Array.from({ length: 11 }, (_, index) => day(15 + index)));
    const row = parity.body.disagreements[0];
    expect(row?.pms?.rate).toBe(1_060_000);
    expect(row?.quotes.find((quote) => quote.providerId === setup.expedia.providerId)?.rate).toBe(1_000_000);
    expect(row?.quotes.find((quote) => quote.providerId === setup.booking.providerId)?.rate).toBe(1_060_000);

    setup.expedia.state.down = false;
    await waitFor(
      () => {
        // Time passes until the channel's pending retry comes due.
        hub.clock.advance(60_000);
        return differences(model, setup.expedia, dates).length === 0;
      },
      "Expedia to catch up",
      20_000,
      150,
    );
    const recovered = setup.expedia.state.acceptedSince(outageStarted);
    // One message with the two ranges that changed, at their final values: nothing of rounds 1–5.
    expect(recovered).toHaveLength(1);
    const entries = recovered[0]?.entries.map((entry) => ({ ...entry })).sort((a, b) => a.room.localeCompare(b.room));
    expect(entries).toEqual(
      [
        { room: setup.expedia.room.STD, rate: undefined, from: day(10), to: day(20), values: { available: 5 } },
        { room: setup.expedia.room.DLX, rate: setup.expedia.rate, from: day(15), to: day(25), values: { rate: 1_060_000, currency: "IDR" } },
      ].sort((a, b) => (a.room ?? "").localeCompare(b.room ?? "")),
    );
    const after = await waitFor(async () => {
      const { body } = await setup.api<{ channels: { provider: { id: string }; pendingChunks: number; status: { failingSince?: string; lastError?: string; lastAckAt?: string } }[] }>("GET", `/api/admin/channels?locationId=${setup.locationId}`);
      const row = body.channels.find((candidate) => candidate.provider.id === setup.expedia.providerId);
      return row?.pendingChunks === 0 && !row.status.failingSince ? row : undefined;
    }, "Expedia's status to clear");
    expect(after.status.lastError).toBeUndefined();
    const agreed = await setup.api<{ disagreements: unknown[] }>("GET", `/api/admin/channels/parity?locationId=${setup.locationId}&from=${day(0)}&to=${day(59)}`);
    expect(agreed.body.disagreements).toEqual([]);
  }, 60_000);
});
