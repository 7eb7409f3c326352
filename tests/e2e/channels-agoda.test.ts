import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgodaFake, type AgodaBooking, type AgodaFake } from "../fakes/ota/agoda.ts";
import { DAY_MS, FAST_RETRY, isoDay, putAri, RATE, ROOMS, useChannelsHub } from "../support/channels.ts";
import { waitFor } from "../support/wait.ts";
import { startReceiver, type Receiver } from "../support/webhook-receiver.ts";

/**
 * Issue #10: Agoda bookings come home once. The Agoda provider is made from the
 * `agoda` preset (only its hosts point at the simulator): ARI over the OTA API,
 * bookings from the YCS API's GetBookingList + GetBookingDetail, which has no
 * acknowledgement — a booking listed again is recognised by its last action.
 */

interface ReservationView {
  bookingId: string;
  status: "confirmed" | "cancelled";
  departure?: string;
  history: { version: string; status: string; event?: string }[];
  booking: { departure: string; paymentModel: string; guest: { name?: string }; total?: { amount: number; currency: string } };
  rooms: { roomType?: string; ratePlan?: string; quantity: number; adults?: number }[];
}

interface PullView {
  pulled: number;
  stored: number;
  duplicates: number;
  acknowledged: boolean;
  acknowledgement?: string;
  error?: string;
}

const PROPERTY = "5950804";
const AGODA_ROOMS: Record<string, string> = { STD: "109614900", DLX: "109614901", STE: "109614902" };
const AGODA_RATE = "2377448";

describe("Agoda bookings over the YCS API", () => {
  const running = useChannelsHub();
  let agoda: AgodaFake;
  let receiver: Receiver;
  let providerId: string;
  let startMs: number;
  const day = (offset: number) => isoDay(startMs + offset * DAY_MS);

  const events = (bookingId: string, type?: string) =>
    receiver.received.map((received) => JSON.parse(received.body) as { type: string; data: { channel?: { bookingId: string } } }).filter((event) => event.data.channel?.bookingId === bookingId && (!type || event.type === type));
  const reservation = async (bookingId: string) => {
    const { body } = await running.setup.api<{ items: ReservationView[] }>("GET", `/api/admin/channels/reservations?locationId=${running.setup.locationId}`);
    return body.items.find((item) => item.bookingId === bookingId);
  };
  const pull = async () => {
    const { status, body } = await running.setup.api<PullView>("POST", `/api/admin/channels/${providerId}/pull?locationId=${running.setup.locationId}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const available = (room: string, date: string) => running.setup.booking.state.cell(running.setup.booking.room[room] ?? "", undefined, date)?.available;
  const booking = (overrides: Partial<AgodaBooking>): AgodaBooking => ({
    status: "ConfirmBooking",
    bookedAt: running.hub.clock.now() - 120_000,
    lastAction: running.hub.clock.now() - 60_000,
    arrival: day(3),
    departure: day(5),
    roomId: AGODA_ROOMS.STD ?? "",
    ratePlanId: AGODA_RATE,
    currency: "IDR",
    amount: "2000000.00",
    guest: { first: "Wayan", last: "Sudarsana" },
    ...overrides,
  });

  beforeAll(async () => {
    const { hub, setup } = running;
    startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    receiver = await startReceiver();
    expect((await setup.api("POST", "/api/admin/subscriptions", { url: receiver.url, eventTypes: ["reservation.*"] })).status).toBe(201);
    agoda = await startAgodaFake({ username: "agoda-user", password: "agoda-pass", apiKey: "ycs-api-key-0001", propertyId: PROPERTY, now: () => hub.clock.now() });
    const created = await setup.api<{ id: string; warnings: string[] }>("POST", "/api/admin/providers", {
      type: "ota",
      name: "Agoda",
      presetId: "agoda",
      testMode: false,
      baseUrl: agoda.url,
      secrets: { username: "agoda-user", password: "agoda-pass", apiKey: "ycs-api-key-0001" },
      config: { hosts: { ycs: { production: agoda.url } }, retry: FAST_RETRY },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.warnings).toEqual([]);
    providerId = created.body.id;
    const mapped = await setup.api("PUT", `/api/admin/channels/${providerId}/mapping`, {
      locationId: setup.locationId,
      hotelCode: PROPERTY,
      rooms: ROOMS.map((room) => ({ roomType: room, code: AGODA_ROOMS[room], ratePlans: [{ ratePlan: RATE, code: AGODA_RATE }] })),
    });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    const ari = await putAri(hub, setup.apiKey, setup.locationId, [{ roomType: "STD", from: day(0), to: day(20), available: 5, closed: false }]);
    expect(ari.status).toBe(202);
    await waitFor(() => available("STD", day(20)) === 5, "STD open on Booking.com", 15_000);
  }, 30_000);

  afterAll(async () => {
    await agoda?.close();
    await receiver?.close();
  });

  it("stores a new booking once however often it is listed, and takes its room everywhere", async () => {
    agoda.book("470001", booking({ paymentModel: "2" }));
    const first = await pull();
    expect(first).toEqual({ pulled: 1, stored: 1, duplicates: 0, acknowledged: false, acknowledgement: "not_supported" });

    // Listed again by the next pull (its window overlaps the last) and by the 5-minute schedule: the same version.
    expect(await pull()).toMatchObject({ pulled: 1, stored: 0, duplicates: 1 });
    running.hub.clock.advance(5 * 60_000 + 1000);
    expect(running.hub.cron.tick()).toContain("pull-channel-bookings");
    await waitFor(() => (agoda.calls.get("3") ?? 0) >= 3, "the scheduled pull to ask Agoda");

    const stored = await waitFor(() => reservation("470001"), "the reservation");
    expect(stored).toMatchObject({
      status: "confirmed",
      booking: { paymentModel: "channel_collect", guest: { name: "Wayan Sudarsana" }, total: { amount: 2_000_000, currency: "IDR" } },
      rooms: [expect.objectContaining({ roomType: "STD", ratePlan: RATE, quantity: 1, adults: 2 })],
    });
    expect(stored.history).toHaveLength(1);
    await waitFor(() => events("470001", "reservation.created").length === 1, "reservation.created");
    await waitFor(() => available("STD", day(3)) === 4 && available("STD", day(4)) === 4, "STD availability 4 on Booking.com");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events("470001")).toHaveLength(1);
    // Only booking list (3) and booking detail (4) requests: the API has nothing to acknowledge with.
    expect([...agoda.calls.keys()].sort()).toEqual(["3", "4"]);
  }, 20_000);

  it("applies an amendment, then a cancellation, and ends cancelled with its nights given back", async () => {
    running.hub.clock.advance(60_000);
    agoda.book("470001", booking({ status: "AmendBooking", departure: day(6), lastAction: running.hub.clock.now() - 10_000 }));
    expect(await pull()).toMatchObject({ pulled: 1, stored: 1 });
    await waitFor(() => events("470001", "reservation.modified").length === 1, "reservation.modified");
    expect((await reservation("470001"))?.booking.departure).toBe(day(6));
    await waitFor(() => available("STD", day(5)) === 4, "the amendment's extra night taken");

    running.hub.clock.advance(60_000);
    agoda.book("470001", booking({ status: "CancelBooking", departure: day(6), lastAction: running.hub.clock.now() - 5_000 }));
    expect(await pull()).toMatchObject({ pulled: 1, stored: 1 });
    const final = await waitFor(async () => {
      const found = await reservation("470001");
      return found?.history.length === 3 ? found : undefined;
    }, "all three versions applied");
    expect(final.status).toBe("cancelled");
    expect(final.history.map((entry) => entry.event)).toEqual(["reservation.created", "reservation.modified", "reservation.cancelled"]);
    await waitFor(() => events("470001", "reservation.cancelled").length === 1, "reservation.cancelled");
    for (const offset of [3, 4, 5]) await waitFor(() => available("STD", day(offset)) === 5, `STD back to 5 on ${day(offset)}`);

    // The cancelled booking listed again changes nothing.
    expect(await pull()).toMatchObject({ stored: 0, duplicates: 1 });
  }, 20_000);

  it("warns on an OpenTravel channel record that brings no bookings in (as the ARI-only Agoda preset did)", async () => {
    const ariOnly = await running.setup.api<{ id: string; warnings: string[] }>("POST", "/api/admin/providers", {
      type: "ota",
      name: "Agoda ARI only",
      apiFormat: "opentravel_xml",
      baseUrl: agoda.url,
      secrets: { username: "agoda-user", password: "agoda-pass" },
      config: { signature: { method: "postmark_basic_auth", params: { usernameField: "username", passwordField: "password" } }, endpoints: { availability: { method: "POST", path: "/b2b/ota/2015B/hotels" }, rates: { method: "POST", path: "/b2b/ota/2015B/hotels" } } },
    });
    expect(ariOnly.status).toBe(201);
    expect(ariOnly.body.warnings).toEqual([expect.stringContaining("no bookings are pulled from this channel")]);
    const { body: listed } = await running.setup.api<{ items: { id: string; warnings: string[] }[] }>("GET", "/api/admin/providers?type=ota");
    for (const channel of [providerId, running.setup.booking.providerId]) expect(listed.items.find((item) => item.id === channel)?.warnings).toEqual([]);
  });

  it("reports a malformed or refused answer in the call log and catches up on the next pull", async () => {
    running.hub.clock.advance(60_000);
    agoda.book("470002", booking({ roomId: AGODA_ROOMS.DLX ?? "", arrival: day(8), departure: day(9), lastAction: running.hub.clock.now() - 30_000, guest: { first: "Putu", last: "Ayu" } }));
    agoda.breakNext(1, { status: 200, text: "<html><body>Scheduled maintenance</body></html>", headers: { "content-type": "text/html" } });
    const broken = await pull();
    expect(broken).toMatchObject({ pulled: 0, stored: 0 });
    expect(broken.error).toMatch(/Agoda \(booking list\) answered in an unexpected shape: <html> instead of <result>/);

    // A booking list without <properties> is no list either.
    agoda.breakNext(1, { status: 200, text: `<?xml version="1.0"?><result timestamp="1"/>`, headers: { "content-type": "text/xml" } });
    expect((await pull()).error).toMatch(/a <result> without <properties>/);

    // A refused key: Agoda's documented error, in words.
    expect((await running.setup.api("PATCH", `/api/admin/providers/${providerId}`, { secrets: { apiKey: "not-the-key" } })).status).toBe(200);
    expect((await pull()).error).toMatch(/HTTP 401: code 1503 Authentication failed/);
    expect((await running.setup.api("PATCH", `/api/admin/providers/${providerId}`, { secrets: { apiKey: "ycs-api-key-0001" } })).status).toBe(200);

    const calls = await waitFor(async () => {
      const { body } = await running.setup.api<{ items: { action: string; outcome: string; error?: string; httpStatus?: number }[] }>("GET", `/api/admin/providers/${providerId}/calls?limit=50`);
      const failed = body.items.filter((entry) => entry.action === "bookings.pull" && entry.outcome !== "success");
      return failed.length >= 3 ? failed : undefined;
    }, "the failed pulls in the call log");
    expect(calls.map((entry) => entry.error).join("\n")).toMatch(/<html> instead of <result>/);
    const { body: overview } = await running.setup.api<{ channels: { provider: { id: string }; status: { lastPullError?: string } }[] }>("GET", `/api/admin/channels?locationId=${running.setup.locationId}`);
    expect(overview.channels.find((channel) => channel.provider.id === providerId)?.status.lastPullError).toMatch(/1503/);

    // Nothing was lost: the window the failed pulls asked for is asked again (with the cancelled 470001, a duplicate by now).
    const caughtUp = await pull();
    expect(caughtUp).toMatchObject({ pulled: 2, stored: 1, duplicates: 1 });
    expect(caughtUp.error).toBeUndefined();
    await waitFor(() => events("470002", "reservation.created").length === 1, "reservation.created for the booking behind the failures");
    expect((await reservation("470002"))?.rooms).toEqual([expect.objectContaining({ roomType: "DLX", quantity: 1 })]);
  }, 20_000);
});
