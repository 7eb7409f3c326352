import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, isoDay, JSON_PUSH_SECRET, putAri, RATE, ROOMS, setupChannels, type ChannelSetup } from "../support/channels.ts";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";
import { startReceiver, type Receiver } from "../support/webhook-receiver.ts";

interface ReservationView {
  bookingId: string;
  providerId: string;
  status: "confirmed" | "cancelled";
  overbooked: boolean;
  history: { version: string; status: string; event?: string }[];
  booking: { paymentModel: string; guest: { name?: string }; total?: { amount: number; currency: string } };
  rooms: { roomType?: string; quantity: number }[];
}

interface Delivered {
  type: string;
  data: { reservationId: string; status?: string; channel?: { bookingId: string; providerId: string }; roomTypeId?: string; nights?: string[]; paymentModel?: string; rooms?: { roomType?: string }[] };
}

describe("bookings from channels", () => {
  let hub: TestRuntime;
  let setup: ChannelSetup;
  let receiver: Receiver;
  let startMs: number;
  const day = (offset: number) => isoDay(startMs + offset * DAY_MS);
  const events = () => receiver.received.map((received) => JSON.parse(received.body) as Delivered);
  const eventsFor = (bookingId: string, type?: string) => events().filter((event) => event.data.channel?.bookingId === bookingId && (!type || event.type === type));
  const reservation = async (bookingId: string) => {
    const { body } = await setup.api<{ items: ReservationView[] }>("GET", `/api/admin/channels/reservations?locationId=${setup.locationId}`);
    return body.items.find((item) => item.bookingId === bookingId);
  };
  const pullNow = async (providerId: string) => {
    const { status, body } = await setup.api<{ pulled: number; stored: number; duplicates: number; acknowledged: boolean; error?: string }>("POST", `/api/admin/channels/${providerId}/pull?locationId=${setup.locationId}`);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };

  beforeAll(async () => {
    hub = await startTestRuntime({ allowPrivateUrls: true });
    setup = await setupChannels(hub);
    receiver = await startReceiver();
    const { status } = await setup.api("POST", "/api/admin/subscriptions", { url: receiver.url, eventTypes: ["reservation.*"] });
    expect(status).toBe(201);
    startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
    const availability: Record<string, number> = { STD: 5, DLX: 1, STE: 3 };
    const { status: ari } = await putAri(
      hub,
      setup.apiKey,
      setup.locationId,
      ROOMS.flatMap((room) => [
        { roomType: room, from: day(0), to: day(40), available: availability[room], closed: false },
        { roomType: room, ratePlan: RATE, from: day(0), to: day(40), rate: 1_000_000, currency: "IDR" },
      ]),
    );
    expect(ari).toBe(202);
    await waitFor(() => setup.channels.every((channel) => channel.state.cell(channel.room.DLX ?? "", undefined, day(40))?.available === 1), "the initial state on every channel", 15_000);
  }, 40_000);

  afterAll(async () => {
    await hub?.close();
    await setup?.close();
    await receiver?.close();
  });

  it("stores a booking pulled twice once, acknowledges it once — and only after storing it", async () => {
    setup.booking.fake.addBooking("4021893", {
      status: "new",
      created: new Date(hub.clock.now()).toISOString(),
      arrival: day(3),
      departure: day(5),
      room: setup.booking.room.STD ?? "",
      rate: setup.booking.rate,
      total: "2000000",
      currency: "IDR",
      guest: { first: "Ayu", last: "Lestari", email: "ayu@example.com" },
    });
    setup.booking.state.failAcks = 1;
    const first = await pullNow(setup.booking.providerId);
    expect(first).toMatchObject({ pulled: 1, stored: 1, duplicates: 0, acknowledged: false });
    expect(setup.booking.state.acks.size).toBe(0);
    expect(setup.booking.state.queue).toHaveLength(1);

    // The 5-minute schedule pulls it again: recognised, not stored again, acknowledged.
    hub.clock.advance(5 * 60_000 + 1000);
    expect(hub.cron.tick()).toContain("pull-channel-bookings");
    await waitFor(() => setup.booking.state.queue.length === 0, "the channel to take the acknowledgement");
    expect(setup.booking.state.retrievals).toBeGreaterThanOrEqual(2);
    expect(setup.booking.state.acks.get("4021893|new")).toBe(1);

    const stored = await waitFor(() => reservation("4021893"), "the reservation");
    expect(stored).toMatchObject({ status: "confirmed", overbooked: false, booking: { paymentModel: "hotel_collect", guest: { name: "Ayu Lestari" }, total: { amount: 2_000_000, currency: "IDR" } } });
    expect(stored.history).toHaveLength(1);
    expect(stored.rooms).toEqual([expect.objectContaining({ roomType: "STD", quantity: 1 })]);
    await waitFor(() => eventsFor("4021893", "reservation.created").length === 1, "reservation.created");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsFor("4021893")).toHaveLength(1);
    // The booking took a room on its nights, on every channel.
    await waitFor(() => setup.channels.every((channel) => channel.state.cell(channel.room.STD ?? "", undefined, day(3))?.available === 4 && channel.state.cell(channel.room.STD ?? "", undefined, day(4))?.available === 4), "STD availability 4 everywhere");
  }, 20_000);

  it("ends a booking cancelled when the cancellation comes after a modification (in any order)", async () => {
    const created = hub.clock.now();
    const booking = { arrival: day(10), departure: day(12), room: setup.expedia.room.STE ?? "", rate: setup.expedia.rate, total: "2000000.00", currency: "IDR", guest: { first: "Budi", last: "Santoso" } };
    setup.expedia.fake.addBooking("887766", { ...booking, type: "Book", created: new Date(created).toISOString(), collect: "virtual" });
    expect(await pullNow(setup.expedia.providerId)).toMatchObject({ pulled: 1, stored: 1, acknowledged: true });
    await waitFor(() => eventsFor("887766", "reservation.created").length === 1, "reservation.created");
    expect(events().find((event) => event.data.channel?.bookingId === "887766")?.data.paymentModel).toBe("virtual_card");
    await waitFor(() => setup.expedia.state.cell(setup.expedia.room.STE ?? "", undefined, day(10))?.available === 2, "STE taken on Expedia");

    // The channel lists the cancellation first and the (earlier) modification after it.
    setup.expedia.fake.addBooking("887766", { ...booking, departure: day(13), type: "Cancel", created: new Date(created + 120_000).toISOString() });
    setup.expedia.fake.addBooking("887766", { ...booking, departure: day(13), type: "Modify", created: new Date(created + 60_000).toISOString() });
    expect(await pullNow(setup.expedia.providerId)).toMatchObject({ pulled: 2, stored: 2, acknowledged: true });
    const final = await waitFor(async () => {
      const found = await reservation("887766");
      return found?.history.length === 3 ? found : undefined;
    }, "all three versions applied");
    expect(final.status).toBe("cancelled");
    await waitFor(() => eventsFor("887766", "reservation.cancelled").length === 1, "reservation.cancelled");
    expect(setup.expedia.state.acks.get("887766|Cancel")).toBe(1);
    expect(setup.expedia.state.acks.get("887766|Modify")).toBe(1);
    // Whatever order they were applied in, the rooms it held are free again.
    for (const offset of [10, 11, 12]) {
      await waitFor(() => setup.channels.every((channel) => channel.state.cell(channel.room.STE ?? "", undefined, day(offset))?.available === 3), `STE back to 3 on ${day(offset)}`);
    }
  }, 20_000);

  it("flags an overbooking and closes the room type on the other channels at once", async () => {
    setup.json.fake.addBooking("TVL-5501", { revision: 1, status: "CONFIRMED", checkIn: day(20), checkOut: day(22), roomId: setup.json.room.DLX ?? "", ratePlanId: setup.json.rate, totalPrice: 2_000_000, currency: "IDR", paymentType: "PREPAID", guest: { firstName: "Citra", lastName: "Dewi" } });
    expect(await pullNow(setup.json.providerId)).toMatchObject({ pulled: 1, stored: 1, acknowledged: true });
    // The last DLX of those nights is sold: every channel shows 0.
    await waitFor(() => setup.channels.every((channel) => channel.state.cell(channel.room.DLX ?? "", undefined, day(21))?.available === 0), "DLX sold out everywhere");

    // Booking.com sold it too before it heard.
    setup.booking.fake.addBooking("4029911", { status: "new", created: new Date(hub.clock.now()).toISOString(), arrival: day(21), departure: day(23), room: setup.booking.room.DLX ?? "", rate: setup.booking.rate, total: "2000000", currency: "IDR", guest: { first: "Dian", last: "Pratama" } });
    expect(await pullNow(setup.booking.providerId)).toMatchObject({ pulled: 1, stored: 1, acknowledged: true });
    const flagged = await waitFor(() => eventsFor("4029911", "reservation.overbooked")[0], "reservation.overbooked");
    expect(flagged.data).toMatchObject({ roomTypeId: "DLX", nights: [day(21)] });
    expect((await reservation("4029911"))?.overbooked).toBe(true);
    for (const channel of [setup.expedia, setup.json]) {
      await waitFor(() => channel.state.cell(channel.room.DLX ?? "", undefined, day(21))?.closed === true, `DLX closed on ${channel.format}`);
    }
    // ...but not on the channel that sold it: Booking.com hears of the night the booking took, and no closure.
    const bdcDlx = setup.booking.room.DLX ?? "";
    await waitFor(() => setup.booking.state.cell(bdcDlx, undefined, day(22))?.available === 0, "Booking.com told of the booking's second night");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closures = setup.booking.state.accepted.flatMap((message) => message.entries).filter((entry) => entry.room === bdcDlx && entry.values.closed === true && entry.from <= day(21) && entry.to >= day(21));
    expect(closures).toEqual([]);
    expect(setup.booking.state.cell(bdcDlx, undefined, day(21))?.closed).toBe(false);
    // Only the oversold night closes; the night the second booking could have is sold normally.
    expect(setup.expedia.state.cell(setup.expedia.room.DLX ?? "", undefined, day(22))?.closed).toBe(false);
  }, 20_000);

  it("lists the channel's own rooms where its API can", async () => {
    const expedia = await setup.api<{ hotelCode: string; rooms: { code: string; ratePlans: { code: string }[] }[] }>("GET", `/api/admin/channels/${setup.expedia.providerId}/rooms?locationId=${setup.locationId}`);
    expect(expedia.status).toBe(200);
    expect(expedia.body.rooms.map((room) => room.code).sort()).toEqual(Object.values(setup.expedia.room).sort());
    expect(expedia.body.rooms[0]?.ratePlans).toEqual([expect.objectContaining({ code: setup.expedia.rate })]);
    const json = await setup.api<{ rooms: { code: string }[] }>("GET", `/api/admin/channels/${setup.json.providerId}/rooms?locationId=${setup.locationId}`);
    expect(json.body.rooms.map((room) => room.code).sort()).toEqual(Object.values(setup.json.room).sort());
    const ota = await setup.api<{ error: { message: string } }>("GET", `/api/admin/channels/${setup.booking.providerId}/rooms?locationId=${setup.locationId}`);
    expect(ota.status).toBe(400);
    expect(ota.body.error.message).toMatch(/no room list/);
  });

  const inboundOf = async (providerId: string) => {
    const { status, body } = await setup.api<{ items: { id: string; status: string; reason?: string; headers: Record<string, string> }[] }>("GET", `/api/admin/webhooks/inbound?providerId=${providerId}&limit=200`);
    expect(status).toBe(200);
    return body.items;
  };
  const signed = (body: string, secret = JSON_PUSH_SECRET) => ({ "content-type": "application/json", "x-signature": createHmac("sha256", secret).update(body).digest("hex") });

  it("takes a booking the channel pushes to its webhook, signed, once", async () => {
    const body = JSON.stringify({ eventId: "push-1", data: [{ id: "TVL-7001", revision: 1, status: "CONFIRMED", propertyId: "TVL-77", checkIn: day(30), checkOut: day(31), rooms: [{ roomId: setup.json.room.STD, ratePlanId: setup.json.rate, quantity: 2, price: 2_000_000 }], totalPrice: 2_000_000, currency: "IDR", paymentType: "PAY_AT_HOTEL", guest: { firstName: "Eka", lastName: "Putri" } }] });
    const first = await call<{ received: boolean; duplicate?: boolean }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, signed(body));
    expect(first.status).toBe(200);
    const again = await call<{ received: boolean; duplicate?: boolean }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, signed(body));
    expect(again.body.duplicate).toBe(true);
    await waitFor(() => eventsFor("TVL-7001", "reservation.created").length === 1, "reservation.created for the pushed booking");
    const stored = await reservation("TVL-7001");
    expect(stored).toMatchObject({ status: "confirmed", booking: { paymentModel: "hotel_collect" }, rooms: [expect.objectContaining({ roomType: "STD", quantity: 2 })] });
    const malformed = await call<{ error?: { message: string } }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, "<xml/>", signed("<xml/>"));
    expect(malformed.status).toBe(400);
  }, 20_000);

  it("refuses pushes that are unsigned or wrongly signed (401, stored as rejected), and takes the correctly signed one once", async () => {
    // JSON channel: HMAC-SHA256 of the body in X-Signature.
    const body = JSON.stringify({ eventId: "push-2", data: [{ id: "TVL-7002", revision: 1, status: "CONFIRMED", propertyId: "TVL-77", checkIn: day(33), checkOut: day(34), rooms: [{ roomId: setup.json.room.STE, ratePlanId: setup.json.rate, quantity: 1, price: 1_000_000 }], totalPrice: 1_000_000, currency: "IDR", paymentType: "PAY_AT_HOTEL", guest: { firstName: "Gede", lastName: "Wirawan" } }] });
    const before = (await inboundOf(setup.json.providerId)).length;
    const unsigned = await call<{ id: string; error?: { code: string } }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, { "content-type": "application/json" });
    const wrongKey = await call<{ id: string }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, signed(body, "not-the-secret"));
    const tampered = await call<{ id: string }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body.replace("1000000", "1"), signed(body));
    for (const refused of [unsigned, wrongKey, tampered]) expect(refused.status).toBe(401);
    const records = await inboundOf(setup.json.providerId);
    for (const refused of [unsigned, wrongKey, tampered]) expect(records.find((record) => record.id === refused.body.id)).toMatchObject({ status: "rejected" });
    expect(records.find((record) => record.id === wrongKey.body.id)?.headers["x-signature"]).toMatch(/^••••/);
    expect(await reservation("TVL-7002")).toBeUndefined();

    const accepted = await call<{ duplicate?: boolean }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, signed(body));
    expect(accepted.status).toBe(200);
    expect(accepted.body.duplicate).toBeUndefined();
    await waitFor(() => eventsFor("TVL-7002", "reservation.created").length === 1, "reservation.created for the signed push");
    expect((await inboundOf(setup.json.providerId)).length).toBe(before + 4);

    // OTA XML (Booking.com-style push): HTTP Basic credentials equal to the record's username / password.
    const url = `${hub.url}/webhook/ota/${setup.booking.slug}`;
    const booking = { status: "new" as const, created: new Date(hub.clock.now()).toISOString(), arrival: day(35), departure: day(36), room: setup.booking.room.STE ?? "", rate: setup.booking.rate, total: "1000000", currency: "IDR", guest: { first: "Komang", last: "Sari" } };
    const noAuth = await setup.booking.fake.push(url, "4031001", booking);
    const badAuth = await setup.booking.fake.push(url, "4031001", booking, { user: "bdc-user", password: "guessed" });
    expect([noAuth.status, badAuth.status]).toEqual([401, 401]);
    const xmlRecords = await inboundOf(setup.booking.providerId);
    for (const refused of [noAuth, badAuth]) expect(xmlRecords.find((record) => record.id === (JSON.parse(refused.body) as { id: string }).id)).toMatchObject({ status: "rejected" });
    const good = await setup.booking.fake.push(url, "4031001", booking, { user: "bdc-user", password: "bdc-pass" });
    expect(good.status).toBe(200);
    const resent = await setup.booking.fake.push(url, "4031001", booking, { user: "bdc-user", password: "bdc-pass" });
    expect(JSON.parse(resent.body)).toMatchObject({ duplicate: true });
    await waitFor(() => eventsFor("4031001", "reservation.created").length === 1, "reservation.created for the Basic-auth push");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsFor("4031001")).toHaveLength(1);
  }, 20_000);

  it("warns on the provider view when a channel's pushes are not verified", async () => {
    const created = await setup.api<{ id: string; slug: string; warnings: string[] }>("POST", "/api/admin/providers", { type: "ota", name: "Open channel", apiFormat: "json_rest_channel", baseUrl: "https://channel.example", secrets: { apiKey: "k" }, config: {} });
    expect(created.status).toBe(201);
    expect(created.body.warnings).toEqual([expect.stringContaining("config.signature is not set")]);
    // Without a signature method, even a well-formed push is refused.
    const refused = await call(hub.url, "POST", `/webhook/ota/${created.body.slug}`, "{}", { "content-type": "application/json" });
    expect(refused.status).toBe(401);
    const none = await setup.api<{ warnings: string[] }>("PATCH", `/api/admin/providers/${created.body.id}`, { config: { signature: { method: "none" } } });
    expect(none.status).toBe(200);
    expect(none.body.warnings).toEqual([expect.stringContaining('"none": anyone who knows this provider\'s webhook URL')]);
    const listed = await setup.api<{ items: { id: string; warnings: string[] }[] }>("GET", "/api/admin/providers?type=ota");
    expect(listed.body.items.find((item) => item.id === setup.json.providerId)?.warnings).toEqual([]);
    expect(listed.body.items.find((item) => item.id === created.body.id)?.warnings).toHaveLength(1);
  });
});
