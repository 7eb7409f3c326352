import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startXoteloFake, type XoteloFake } from "../fakes/xotelo.ts";
import { DAY_MS, FAST_RETRY, isoDay, putAri, RATE, useChannelsHub } from "../support/channels.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Issue #10, rate parity: what each channel was last sent (and acknowledged) next
 * to what a rate shopper sees on the channels. The shopper is made from the `xotelo`
 * preset (format json_rate_shopper), pointed at a simulator, and mapped to the
 * `channel.rate_shopper` feature.
 */

interface Quote {
  providerId: string;
  source: "acknowledged" | "rate_shopper";
  rate?: number;
  currency?: string;
}

interface ParityView {
  compared: number;
  disagreements: { roomType: string; ratePlan: string; date: string; pms?: { rate?: number; currency?: string }; quotes: Quote[] }[];
  rateShopper: string;
}

const HOTEL_KEY = "g297697-d1234567";

describe("rate parity with a rate shopper", () => {
  const running = useChannelsHub();
  let xotelo: XoteloFake;
  let shopperId: string;
  let startMs: number;
  const day = (offset: number) => isoDay(startMs + offset * DAY_MS);
  const parity = async () => {
    const { status, body } = await running.setup.api<ParityView>("GET", `/api/admin/channels/parity?locationId=${running.setup.locationId}&from=${day(2)}&to=${day(4)}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };

  beforeAll(async () => {
    const { hub, setup } = running;
    startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    xotelo = await startXoteloFake();
    const created = await setup.api<{ id: string }>("POST", "/api/admin/providers", {
      type: "rate_shopper",
      name: "Xotelo",
      presetId: "xotelo",
      baseUrl: xotelo.url,
      config: { hotelCodes: { [setup.locationId]: HOTEL_KEY }, match: { roomType: "STD", ratePlan: RATE }, retry: FAST_RETRY },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    shopperId = created.body.id;
    expect((await setup.api("PUT", "/api/admin/features", { mappings: [{ featureKey: "channel.rate_shopper", primaryProviderId: shopperId }] })).status).toBe(200);

    // The property sells STD at USD 120.00 a night; every channel is sent it and acknowledges it.
    const ari = await putAri(hub, setup.apiKey, setup.locationId, [{ roomType: "STD", ratePlan: RATE, from: day(2), to: day(4), rate: 12_000, currency: "USD" }]);
    expect(ari.status).toBe(202);
    await waitFor(async () => {
      const { body } = await setup.api<{ disagreements: unknown[]; compared: number }>("GET", `/api/admin/channels/parity?locationId=${setup.locationId}&from=${day(2)}&to=${day(4)}`);
      return body.compared === 3 && body.disagreements.length === 0;
    }, "every channel to acknowledge the rate", 15_000);
    await waitFor(async () => {
      const { body } = await setup.api<ParityView & { compared: number }>("GET", `/api/admin/channels/parity?locationId=${setup.locationId}&from=${day(4)}&to=${day(4)}`);
      return body.compared === 1;
    }, "the parity report");
  }, 30_000);

  afterAll(async () => {
    await xotelo?.close();
  });

  it("lists the date a channel sells below what it was last sent, as the shopper saw it", async () => {
    const { booking, expedia } = running.setup;
    for (const offset of [2, 3, 4]) {
      xotelo.setRate(HOTEL_KEY, day(offset), "Expedia", 120);
      xotelo.setRate(HOTEL_KEY, day(offset), "BookingCom", offset === 3 ? 99 : 120);
      // Channels this property has no provider for are not compared.
      xotelo.setRate(HOTEL_KEY, day(offset), "HotelsCom2", 97.5);
    }
    const before = xotelo.requests.length;
    const report = await parity();
    expect(report.rateShopper).toBe("Xotelo: 6 rates");
    expect(report.compared).toBe(3);
    expect(report.disagreements).toHaveLength(1);
    const [row] = report.disagreements;
    expect(row).toMatchObject({ roomType: "STD", ratePlan: RATE, date: day(3), pms: { rate: 12_000, currency: "USD" } });
    const shopped = row?.quotes.filter((quote) => quote.source === "rate_shopper") ?? [];
    expect(shopped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ providerId: booking.providerId, rate: 9_900, currency: "USD" }),
        expect.objectContaining({ providerId: expedia.providerId, rate: 12_000, currency: "USD" }),
      ]),
    );
    expect(shopped).toHaveLength(2);
    const sent = row?.quotes.filter((quote) => quote.source === "acknowledged") ?? [];
    expect(sent.map((quote) => quote.providerId).sort()).toEqual(running.setup.channels.map((channel) => channel.providerId).sort());
    expect(sent.every((quote) => quote.rate === 12_000 && quote.currency === "USD")).toBe(true);
    // One stay per date was asked: chk_in the date, chk_out the next day, in the record's currency.
    const asked = xotelo.requests.slice(before).map((request) => `${request.query.get("chk_in")}>${request.query.get("chk_out")} ${request.query.get("currency")} ${request.query.get("hotel_key")}`).sort();
    expect(asked).toEqual([2, 3, 4].map((offset) => `${day(offset)}>${day(offset + 1)} USD ${HOTEL_KEY}`));
  });

  it("says what the shopper refused, and that it is down, without failing the report", async () => {
    const { body: record } = await running.setup.api<{ config: Record<string, unknown> }>("GET", `/api/admin/providers/${shopperId}`);
    expect((await running.setup.api("PATCH", `/api/admin/providers/${shopperId}`, { config: { ...record.config, currency: "IDR" } })).status).toBe(200);
    // A changed record reaches the call pipeline within a second (its resolved-provider memory).
    const refused = await waitFor(async () => {
      const report = await parity();
      return report.rateShopper.startsWith("rate shopper failed") ? report : undefined;
    }, "the shopper to refuse the currency");
    expect(refused.rateShopper).toMatch(/^rate shopper failed: Xotelo answered HTTP 400: currency IDR is not supported/);
    expect(refused.disagreements).toEqual([]);
    expect((await running.setup.api("PATCH", `/api/admin/providers/${shopperId}`, { config: record.config })).status).toBe(200);

    xotelo.down = true;
    const down = await waitFor(async () => {
      const report = await parity();
      return /HTTP 503/.test(report.rateShopper) ? report : undefined;
    }, "the report to say the shopper is down");
    expect(down.rateShopper).toMatch(/^rate shopper failed: Xotelo answered HTTP 503/);
    // The channels' own acknowledgements are still compared, and agree.
    expect(down.compared).toBe(3);
    expect(down.disagreements).toEqual([]);
    const calls = await waitFor(async () => {
      const { body } = await running.setup.api<{ items: { action: string; outcome: string; httpStatus?: number }[] }>("GET", `/api/admin/providers/${shopperId}/calls?limit=50`);
      const failed = body.items.filter((entry) => entry.action === "parity.shop" && entry.httpStatus === 503);
      return failed.length > 0 ? failed : undefined;
    }, "the failed shop in the call log");
    expect(calls[0]?.outcome).toBe("failure");

    xotelo.down = false;
  });
});
