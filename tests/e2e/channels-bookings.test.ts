import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, isoDay, putAri, RATE, ROOMS, setupChannels, type ChannelSetup } from "../support/channels.ts";
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

  it("takes a booking the channel pushes to its webhook, once", async () => {
    const body = JSON.stringify({ eventId: "push-1", data: [{ id: "TVL-7001", revision: 1, status: "CONFIRMED", propertyId: "TVL-77", checkIn: day(30), checkOut: day(31), rooms: [{ roomId: setup.json.room.STD, ratePlanId: setup.json.rate, quantity: 2, price: 2_000_000 }], totalPrice: 2_000_000, currency: "IDR", paymentType: "PAY_AT_HOTEL", guest: { firstName: "Eka", lastName: "Putri" } }] });
    const first = await call<{ received: boolean; duplicate?: boolean }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, { "content-type": "application/json" });
    expect(first.status).toBe(200);
    const again = await call<{ received: boolean; duplicate?: boolean }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, body, { "content-type": "application/json" });
    expect(again.body.duplicate).toBe(true);
    await waitFor(() => eventsFor("TVL-7001", "reservation.created").length === 1, "reservation.created for the pushed booking");
    const stored = await reservation("TVL-7001");
    expect(stored).toMatchObject({ status: "confirmed", booking: { paymentModel: "hotel_collect" }, rooms: [expect.objectContaining({ roomType: "STD", quantity: 2 })] });
    const malformed = await call<{ error?: { message: string } }>(hub.url, "POST", `/webhook/ota/${setup.json.slug}`, "<xml/>", { "content-type": "application/json" });
    expect(malformed.status).toBe(400);
  }, 20_000);
});
