import { startBookingComFake, type BookingComFake } from "../fakes/ota/booking-com.ts";
import { startEqcFake, type EqcFake } from "../fakes/ota/expedia-eqc.ts";
import { startJsonChannelFake, type JsonChannelFake } from "../fakes/ota/json-channel.ts";
import type { ChannelCell, ChannelState } from "../fakes/ota/state.ts";
import { ownerApi, type Api } from "./outbound.ts";
import { afterAll, beforeAll } from "vitest";
import type { RuntimeOptions } from "@sambung/functions/local/runtime";
import { call, startTestRuntime, type TestRuntime } from "./runtime.ts";
import { waitFor } from "./wait.ts";

/**
 * A property with three room types (one rate plan each) sold on three simulated
 * channels — Booking.com-style OTA XML, Expedia EQC, a JSON channel — each with
 * its own codes for the same rooms, mapped in the hub.
 */

export const ROOMS = ["STD", "DLX", "STE"] as const;
export const RATE = "BAR";

export type Format = "opentravel_xml" | "eqc_xml" | "json_rest_channel";

export interface Channel {
  format: Format;
  providerId: string;
  slug: string;
  state: ChannelState;
  /** Our room type → the channel's room code; our rate plan → its rate code. */
  room: Record<string, string>;
  rate: string;
  limit: number;
}

export interface ChannelSetup {
  api: Api;
  locationId: string;
  apiKey: string;
  booking: Channel & { fake: BookingComFake };
  expedia: Channel & { fake: EqcFake };
  json: Channel & { fake: JsonChannelFake };
  channels: Channel[];
  close(): Promise<void>;
}

/** A provider retry policy that gives up after one quick retry, so failure paths finish within a test. */
export const FAST_RETRY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 0 };

/** The JSON channel signs the bookings it pushes: hex HMAC-SHA256 of the body in X-Signature (as the Traveloka / tiket.com presets). */
export const JSON_PUSH_SECRET = "tvl-push-secret-0123456789";
export const JSON_PUSH_SIGNATURE = { method: "meta_hub_signature", params: { secretField: "webhookSecret", header: "X-Signature", prefix: "" } };
/** OTA XML pushes carry HTTP Basic credentials equal to the record's username / password (as the Booking.com preset). */
const BASIC_PUSH_SIGNATURE = { method: "postmark_basic_auth", params: { usernameField: "username", passwordField: "password" } };

async function ok<T>(promise: Promise<{ status: number; body: T }>, what: string, expected = [200, 201]): Promise<T> {
  const { status, body } = await promise;
  if (!expected.includes(status)) throw new Error(`${what} failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function setupChannels(hub: TestRuntime, limits = { booking: 40, expedia: 60, json: 50 }): Promise<ChannelSetup> {
  const api = ownerApi(hub);
  const location = await ok(api<{ id: string }>("POST", "/api/admin/locations", { name: "Pantai Resort" }), "location");
  await ok(
    api("PUT", "/api/admin/channels/rooms", {
      locationId: location.id,
      currency: "IDR",
      roomTypes: ROOMS.map((id) => ({ id, name: `${id} room`, ratePlans: [{ id: RATE, name: "Best available" }] })),
    }),
    "room setup",
  );
  const bookingRooms = { STD: "1001", DLX: "1002", STE: "1003" };
  const expediaRooms = { STD: "201357986", DLX: "201357987", STE: "201357988" };
  const jsonRooms = { STD: "R-STD", DLX: "R-DLX", STE: "R-STE" };
  const bookingFake = await startBookingComFake({ clientId: "bdc-client", clientSecret: "bdc-secret", now: () => hub.clock.now(), hotelCode: "8080", rooms: Object.fromEntries(Object.values(bookingRooms).map((room) => [room, ["50001"]])), maxItems: limits.booking });
  const expediaFake = await startEqcFake({ username: "EQCtest", password: "eqc-pass", hotelCode: "12933870", rooms: Object.fromEntries(Object.values(expediaRooms).map((room) => [room, ["206651831A"]])), maxItems: limits.expedia });
  const jsonFake = await startJsonChannelFake({ apiKey: "tvl-key", hotelCode: "TVL-77", rooms: Object.fromEntries(Object.values(jsonRooms).map((room) => [room, ["RP-BAR"]])), maxItems: limits.json });

  const provider = async (body: Record<string, unknown>) => ok(api<{ id: string; slug: string }>("POST", "/api/admin/providers", { type: "ota", testMode: false, ...body }), `provider ${String(body.name)}`);
  const booking = await provider({
    name: "Booking.com",
    apiFormat: "opentravel_xml",
    baseUrl: bookingFake.url,
    secrets: { username: "bdc-user", password: "bdc-pass", clientId: "bdc-client", clientSecret: "bdc-secret" },
    config: {
      // Booking.com's token-based scheme, as the preset: client credentials exchanged for a JWT.
      auth: { method: "token_exchange" },
      tokenExchange: {
        endpoint: { method: "POST", path: "/token-based-authentication/exchange", host: "auth", contentType: "application/json", body: { client_id: "{{secrets.clientId}}", client_secret: "{{secrets.clientSecret}}" } },
        tokenPath: "jwt",
        refreshBeforeSeconds: 120,
      },
      hosts: { auth: { production: bookingFake.url } },
      signature: BASIC_PUSH_SIGNATURE,
      version: "1.0",
      acknowledgeWith: "OTA_HotelResNotifRS",
      paymentModel: { default: "hotel_collect" },
      limits: { itemsPerMessage: limits.booking },
      retry: FAST_RETRY,
      endpoints: {
        availability: { method: "POST", path: "/hotels/ota/OTA_HotelAvailNotif" },
        rates: { method: "POST", path: "/hotels/ota/OTA_HotelRateAmountNotif" },
        reservations: { method: "GET", path: "/hotels/ota/OTA_HotelResNotif" },
        modifications: { method: "GET", path: "/hotels/ota/OTA_HotelResModifyNotif" },
        ackReservations: { method: "POST", path: "/hotels/ota/OTA_HotelResNotif" },
        ackModifications: { method: "POST", path: "/hotels/ota/OTA_HotelResModifyNotif" },
      },
    },
  });
  const expedia = await provider({
    name: "Expedia",
    apiFormat: "eqc_xml",
    baseUrl: expediaFake.url,
    secrets: { username: "EQCtest", password: "eqc-pass" },
    config: {
      auth: { method: "none" },
      signature: BASIC_PUSH_SIGNATURE,
      limits: { itemsPerMessage: limits.expedia },
      retry: FAST_RETRY,
      endpoints: { ar: { method: "POST", path: "/eqc/ar" }, br: { method: "POST", path: "/eqc/br" }, bc: { method: "POST", path: "/eqc/bc" }, parr: { method: "POST", path: "/eqc/parr" } },
    },
  });
  const json = await provider({
    name: "Traveloka",
    apiFormat: "json_rest_channel",
    baseUrl: jsonFake.url,
    secrets: { apiKey: "tvl-key", webhookSecret: JSON_PUSH_SECRET },
    config: {
      auth: { method: "header_key", header: "x-api-key" },
      signature: JSON_PUSH_SIGNATURE,
      credentials: { header: { "x-api-key": "{{secrets.apiKey}}" } },
      limits: { itemsPerMessage: limits.json },
      retry: FAST_RETRY,
      amount: { unit: "major" },
      endpoints: {
        ari: { method: "POST", path: "/v1/properties/{{connection.hotelCode}}/ari", body: { updates: "{{items}}" } },
        bookings: { method: "GET", path: "/v1/properties/{{connection.hotelCode}}/reservations" },
        acknowledge: { method: "POST", path: "/v1/properties/{{connection.hotelCode}}/reservations/acknowledge", body: { reservations: "{{acks}}" } },
        rooms: { method: "GET", path: "/v1/properties/{{connection.hotelCode}}/rooms" },
      },
      ari: {
        item: {
          roomId: "{{item.roomCode}}",
          ratePlanId: "{{item.rateCode}}",
          startDate: "{{item.from}}",
          endDate: "{{item.to}}",
          allotment: "{{item.available}}",
          stopSell: "{{item.closed}}",
          price: "{{item.rate}}",
          currency: "{{item.currency}}",
          minStay: "{{item.minLos}}",
          maxStay: "{{item.maxLos}}",
          closedToArrival: "{{item.closedToArrival}}",
          closedToDeparture: "{{item.closedToDeparture}}",
        },
        okPath: "success",
      },
      bookings: {
        listPath: "data",
        id: "id",
        version: "revision",
        status: "status",
        statusMap: { CONFIRMED: "new", MODIFIED: "modified", CANCELLED: "cancelled" },
        arrival: "checkIn",
        departure: "checkOut",
        hotelCode: "propertyId",
        rooms: "rooms",
        room: { code: "roomId", rate: "ratePlanId", quantity: "quantity", amount: "price" },
        total: "totalPrice",
        currency: "currency",
        paymentModel: "paymentType",
        paymentModelMap: { PAY_AT_HOTEL: "hotel_collect", PREPAID: "channel_collect", VIRTUAL_CARD: "virtual_card" },
        guest: { firstName: "guest.firstName", lastName: "guest.lastName", email: "guest.email" },
      },
      acknowledge: { item: { id: "{{booking.bookingId}}", revision: "{{booking.ack.revision}}" } },
      rooms: { listPath: "data", code: "id", name: "name", ratePlans: "ratePlans", ratePlan: { code: "id", name: "name" } },
    },
  });
  const map = (providerId: string, hotelCode: string, rooms: Record<string, string>, rate: string) =>
    ok(api("PUT", `/api/admin/channels/${providerId}/mapping`, { locationId: location.id, hotelCode, rooms: ROOMS.map((room) => ({ roomType: room, code: rooms[room], ratePlans: [{ ratePlan: RATE, code: rate }] })) }), "mapping");
  await map(booking.id, "8080", bookingRooms, "50001");
  await map(expedia.id, "12933870", expediaRooms, "206651831A");
  await map(json.id, "TVL-77", jsonRooms, "RP-BAR");
  const key = await ok(api<{ key: string }>("POST", "/api/admin/api-keys", { name: "PMS", scopes: ["ari"], rateLimitPerMinute: 100_000 }), "API key");

  const channels = {
    booking: { format: "opentravel_xml" as const, providerId: booking.id, slug: booking.slug, state: bookingFake.state, room: bookingRooms, rate: "50001", limit: limits.booking, fake: bookingFake },
    expedia: { format: "eqc_xml" as const, providerId: expedia.id, slug: expedia.slug, state: expediaFake.state, room: expediaRooms, rate: "206651831A", limit: limits.expedia, fake: expediaFake },
    json: { format: "json_rest_channel" as const, providerId: json.id, slug: json.slug, state: jsonFake.state, room: jsonRooms, rate: "RP-BAR", limit: limits.json, fake: jsonFake },
  };
  return {
    api,
    locationId: location.id,
    apiKey: key.key,
    ...channels,
    channels: [channels.booking, channels.expedia, channels.json],
    close: async () => {
      await Promise.all([bookingFake.close(), expediaFake.close(), jsonFake.close()]);
    },
  };
}

/** The values to set, as a channel holds them per date, over `from`..`to` (on `days` of the week only, when given). */
export interface AriUpdate extends ChannelCell {
  roomType: string;
  ratePlan?: string;
  from: string;
  to: string;
  days?: string[];
}

export function putAri(hub: Pick<TestRuntime, "url">, key: string, locationId: string, updates: AriUpdate[]) {
  return call<{ dates: number; error?: { message: string } }>(hub.url, "PUT", "/api/v1/ari", { locationId, updates }, { authorization: `Bearer ${key}` });
}

// ---------------------------------------------------------------- the test's own model of the property's state

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FIELDS = ["available", "closed", "rate", "currency", "minLos", "maxLos", "closedToArrival", "closedToDeparture"] as const;
export const DAY_MS = 86_400_000;
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the PMS has sent: `room|rate|date` (rate "" for room-level values) → values. */
export class Model {
  readonly cells = new Map<string, ChannelCell>();

  apply(update: AriUpdate): void {
    const wanted = update.days ? new Set(update.days.map((day) => WEEKDAYS.indexOf(day))) : undefined;
    for (let at = Date.parse(`${update.from}T00:00:00Z`); at <= Date.parse(`${update.to}T00:00:00Z`); at += DAY_MS) {
      if (wanted && !wanted.has(new Date(at).getUTCDay())) continue;
      const key = `${update.roomType}|${update.ratePlan ?? ""}|${isoDay(at)}`;
      const cell: ChannelCell = { ...this.cells.get(key) };
      for (const field of FIELDS) if (update[field] !== undefined) (cell as Record<string, unknown>)[field] = update[field];
      this.cells.set(key, cell);
    }
  }

  cell(room: string, rate: string | undefined, date: string): ChannelCell | undefined {
    return this.cells.get(`${room}|${rate ?? ""}|${date}`);
  }
}

/** Every room open with `available` rooms and its rate plan sellable (1,000,000 IDR, stays of 1 to 14 nights) over `from`..`to`. */
export function openAll(from: string, to: string, available: number): AriUpdate[] {
  return ROOMS.flatMap((room) => [
    { roomType: room, from, to, available, closed: false },
    { roomType: room, ratePlan: RATE, from, to, rate: 1_000_000, currency: "IDR", minLos: 1, maxLos: 14, closed: false, closedToArrival: false, closedToDeparture: false },
  ]);
}

/** Waits until each channel holds what `model` says on `dates`. */
export async function waitInStep(model: Model, channels: readonly Channel[], dates: string[], what: string): Promise<void> {
  for (const channel of channels) await waitFor(() => differences(model, channel, dates).length === 0, `${channel.format} ${what}`, 15_000);
}

/** Sends ARI as the PMS does (with the setup's API key) and notes it in `model`; a refusal fails the caller. */
export function ariSender(hub: Pick<TestRuntime, "url">, setup: Pick<ChannelSetup, "apiKey" | "locationId">, model: Model) {
  return async (updates: AriUpdate[]): Promise<void> => {
    for (const update of updates) model.apply(update);
    const { status, body } = await putAri(hub, setup.apiKey, setup.locationId, updates);
    if (status !== 202) throw new Error(`ARI refused: ${status} ${JSON.stringify(body)}`);
  };
}

/** The elements each format's ARI messages are made of (from the formats' published structures). */
export const FACETS: Record<Format, { level: "room" | "rate"; fields: (keyof ChannelCell)[]; kind: string }[]> = {
  // OTA_HotelAvailNotifRQ: one AvailStatusMessage per BookingLimit, per RestrictionStatus (room close; Master, Arrival,
  // Departure) and per LengthsOfStay; OTA_HotelRateAmountNotifRQ: one RateAmountMessage per rate.
  opentravel_xml: [
    { level: "room", fields: ["available"], kind: "availability" },
    { level: "room", fields: ["closed"], kind: "availability" },
    { level: "rate", fields: ["closed"], kind: "availability" },
    { level: "rate", fields: ["closedToArrival"], kind: "availability" },
    { level: "rate", fields: ["closedToDeparture"], kind: "availability" },
    { level: "rate", fields: ["minLos", "maxLos"], kind: "availability" },
    { level: "rate", fields: ["rate", "currency"], kind: "rates" },
  ],
  // AvailRateUpdateRQ: AvailRateUpdate elements carrying Inventory, RoomType@closed, RatePlan@closed, Restrictions, Rate.
  eqc_xml: [
    { level: "room", fields: ["available"], kind: "ar" },
    { level: "room", fields: ["closed"], kind: "ar" },
    { level: "rate", fields: ["closed"], kind: "ar" },
    { level: "rate", fields: ["minLos", "maxLos", "closedToArrival", "closedToDeparture"], kind: "ar" },
    { level: "rate", fields: ["rate", "currency"], kind: "ar" },
  ],
  // The JSON channel's update: one per room (allotment, stop sell) or per room and rate (price and restrictions).
  json_rest_channel: [
    { level: "room", fields: ["available", "closed"], kind: "ari" },
    { level: "rate", fields: ["rate", "currency", "closed", "minLos", "maxLos", "closedToArrival", "closedToDeparture"], kind: "ari" },
  ],
};

/**
 * The fewest messages that carry `dates` of the model to a channel: per facet and
 * (room, rate), maximal runs of consecutive dates with equal values, split into
 * messages of at most `limit` elements per kind.
 */
export function minimalMessages(model: Model, format: Format, dates: string[], limit: number): Record<string, number> {
  const items: Record<string, number> = {};
  for (const facet of FACETS[format]) {
    for (const room of ROOMS) {
      const rate = facet.level === "rate" ? RATE : undefined;
      let previous: string | undefined;
      let previousDay = Number.NaN;
      for (const date of dates) {
        const cell = model.cell(room, rate, date);
        const values = facet.fields.map((field) => cell?.[field]);
        const day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
        if (values.every((value) => value === undefined)) {
          previous = undefined;
          continue;
        }
        const signature = JSON.stringify(values);
        if (signature !== previous || day !== previousDay + 1) items[facet.kind] = (items[facet.kind] ?? 0) + 1;
        previous = signature;
        previousDay = day;
      }
    }
  }
  return Object.fromEntries(Object.entries(items).map(([kind, count]) => [kind, Math.ceil(count / limit)]));
}

/** Differences between the model and a channel's own state, mapped through the channel's codes (empty when equal). */
export function differences(model: Model, channel: Channel, dates: string[]): string[] {
  const out: string[] = [];
  for (const room of ROOMS) {
    for (const date of dates) {
      for (const rate of [undefined, RATE]) {
        const expected = model.cell(room, rate, date) ?? {};
        const actual = channel.state.cell(channel.room[room] ?? "", rate === undefined ? undefined : channel.rate, date) ?? {};
        const fields = rate === undefined ? (["available", "closed"] as const) : (["rate", "currency", "minLos", "maxLos", "closed", "closedToArrival", "closedToDeparture"] as const);
        for (const field of fields) {
          if (expected[field] !== actual[field]) out.push(`${channel.format} ${room}/${rate ?? "-"} ${date} ${field}: expected ${String(expected[field])}, channel has ${String(actual[field])}`);
        }
      }
    }
  }
  return out;
}

export function datesFrom(startMs: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => isoDay(startMs + index * DAY_MS));
}

/** Counts of accepted messages by kind. */
export function countByKind(state: ChannelState, since = 0): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const message of state.acceptedSince(since)) counts[message.kind] = (counts[message.kind] ?? 0) + 1;
  return counts;
}

/**
 * A hub with the three simulated channels mapped, started before the file's tests and
 * closed after them: `const running = useChannelsHub()`, then `const { hub, setup } = running`
 * inside a test.
 */
export function useChannelsHub(options: Partial<RuntimeOptions> = {}): { readonly hub: TestRuntime; readonly setup: ChannelSetup } {
  let hub: TestRuntime | undefined;
  let setup: ChannelSetup | undefined;
  beforeAll(async () => {
    hub = await startTestRuntime({ allowPrivateUrls: true, ...options });
    setup = await setupChannels(hub);
  }, 30_000);
  afterAll(async () => {
    await hub?.close();
    await setup?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the channels hub starts in beforeAll");
    return value;
  };
  return {
    get hub() {
      return started(hub);
    },
    get setup() {
      return started(setup);
    },
  };
}
