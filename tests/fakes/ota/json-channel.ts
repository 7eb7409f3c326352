import { header, routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "../server.ts";
import { ChannelState, validRange, type ChannelCell } from "./state.ts";

/**
 * A JSON channel of the kind Traveloka- and Tiket.com-style extranet APIs are:
 * an API key header, one ARI endpoint taking a list of date-range updates, a
 * reservation feed of unacknowledged revisions, and an acknowledgement endpoint.
 * The `json_rest_channel` record in the tests describes exactly this API, so the
 * fake is the record's contract:
 *
 *   POST /v1/properties/{hotel}/ari            { updates: [{ roomId, ratePlanId?, startDate, endDate,
 *                                                allotment?, stopSell?, price?, currency?, minStay?, maxStay?,
 *                                                closedToArrival?, closedToDeparture? }] }
 *                                              → 200 { success: true } | 4xx { success: false, error: { code, message } }
 *   GET  /v1/properties/{hotel}/reservations   → { data: [{ id, revision, status, checkIn, checkOut, ... }] }
 *   POST /v1/properties/{hotel}/reservations/acknowledge { reservations: [{ id, revision }] }
 *   GET  /v1/properties/{hotel}/rooms          → { data: [{ id, name, ratePlans: [{ id, name }] }] }
 */

export interface JsonReservation {
  revision: number;
  status: "CONFIRMED" | "MODIFIED" | "CANCELLED";
  checkIn: string;
  checkOut: string;
  roomId: string;
  ratePlanId: string;
  quantity?: number;
  totalPrice: number;
  currency: string;
  paymentType: "PAY_AT_HOTEL" | "PREPAID" | "VIRTUAL_CARD";
  guest: { firstName: string; lastName: string; email?: string };
}

export interface JsonChannelFake extends HttpFake {
  state: ChannelState;
  addBooking(id: string, reservation: JsonReservation): void;
}

const fail = (status: number, code: string, message: string): FakeResponse => ({ status, json: { success: false, error: { code, message } } });

export async function startJsonChannelFake(options: { apiKey: string; hotelCode: string; rooms: Record<string, string[]>; maxItems: number }): Promise<JsonChannelFake> {
  const state = new ChannelState(options);
  const guard = (request: FakeRequest, hotel: string): FakeResponse | undefined => {
    if (state.down) return { status: 503, json: { success: false, error: { code: "UNAVAILABLE", message: "maintenance" } } };
    if (header(request, "x-api-key") !== options.apiKey) return fail(401, "UNAUTHORIZED", "invalid API key");
    if (hotel !== state.hotelCode) return fail(404, "PROPERTY_NOT_FOUND", `no property ${hotel}`);
    return undefined;
  };

  const ari = (request: FakeRequest, [hotel = ""]: string[]): FakeResponse => {
    const blocked = guard(request, hotel);
    if (blocked) return blocked;
    const updates = (request.fields?.updates ?? undefined) as Record<string, unknown>[] | undefined;
    if (!Array.isArray(updates) || updates.length === 0) return fail(400, "INVALID_REQUEST", "updates must be a non-empty list");
    if (updates.length > state.maxItems) return fail(400, "TOO_MANY_UPDATES", `at most ${state.maxItems} updates per request`);
    const changes: { room: string; rate?: string; from: string; to: string; values: ChannelCell }[] = [];
    for (const update of updates) {
      const room = String(update.roomId ?? "");
      const rate = update.ratePlanId === undefined ? undefined : String(update.ratePlanId);
      const from = typeof update.startDate === "string" ? update.startDate : undefined;
      const to = typeof update.endDate === "string" ? update.endDate : undefined;
      if (!validRange(from, to)) return fail(400, "INVALID_DATES", `invalid dates ${from}..${to}`);
      const unknown = state.unknownCode(room, rate);
      if (unknown) return fail(400, "UNKNOWN_PRODUCT", unknown);
      const values: ChannelCell = {};
      if (typeof update.allotment === "number") values.available = update.allotment;
      if (typeof update.stopSell === "boolean") values.closed = update.stopSell;
      if (typeof update.price === "number") values.rate = update.price;
      if (typeof update.currency === "string") values.currency = update.currency;
      if (typeof update.minStay === "number") values.minLos = update.minStay;
      if (typeof update.maxStay === "number") values.maxLos = update.maxStay;
      if (typeof update.closedToArrival === "boolean") values.closedToArrival = update.closedToArrival;
      if (typeof update.closedToDeparture === "boolean") values.closedToDeparture = update.closedToDeparture;
      if (Object.keys(values).length === 0) return fail(400, "INVALID_REQUEST", "an update sets nothing");
      if ((values.rate === undefined) !== (values.currency === undefined)) return fail(400, "INVALID_REQUEST", "price and currency go together");
      changes.push({ room, rate, from: from as string, to: to as string, values });
    }
    for (const change of changes) state.apply(change.room, change.rate, change.from, change.to, change.values);
    state.accepted.push({ kind: "ari", items: changes.length, entries: changes, at: Date.now() });
    return { json: { success: true, accepted: changes.length } };
  };

  const reservations = (request: FakeRequest, [hotel = ""]: string[]): FakeResponse => {
    const blocked = guard(request, hotel);
    if (blocked) return blocked;
    state.retrievals += 1;
    return {
      json: {
        data: state.queue.map((entry) => {
          const reservation = entry.payload as unknown as JsonReservation;
          return {
            id: entry.id,
            revision: reservation.revision,
            status: reservation.status,
            propertyId: state.hotelCode,
            checkIn: reservation.checkIn,
            checkOut: reservation.checkOut,
            rooms: [{ roomId: reservation.roomId, ratePlanId: reservation.ratePlanId, quantity: reservation.quantity ?? 1, price: reservation.totalPrice }],
            totalPrice: reservation.totalPrice,
            currency: reservation.currency,
            paymentType: reservation.paymentType,
            guest: reservation.guest,
          };
        }),
      },
    };
  };

  const acknowledge = (request: FakeRequest, [hotel = ""]: string[]): FakeResponse => {
    const blocked = guard(request, hotel);
    if (blocked) return blocked;
    if (state.failAcks > 0) {
      state.failAcks -= 1;
      return fail(500, "INTERNAL", "try again");
    }
    const acks = request.fields?.reservations as { id?: unknown; revision?: unknown }[] | undefined;
    if (!Array.isArray(acks) || acks.length === 0) return fail(400, "INVALID_REQUEST", "reservations must be a non-empty list");
    for (const ack of acks) state.acknowledged(String(ack.id), String(ack.revision));
    return { json: { success: true } };
  };

  const rooms = (request: FakeRequest, [hotel = ""]: string[]): FakeResponse => {
    const blocked = guard(request, hotel);
    if (blocked) return blocked;
    return { json: { data: [...state.rooms].map(([room, rates]) => ({ id: room, name: `Room ${room}`, ratePlans: [...rates].map((rate) => ({ id: rate, name: `Rate ${rate}` })) })) } };
  };

  const fake = await startHttpFake(
    routes({
      "POST /v1/properties/:hotel/ari": ari,
      "GET /v1/properties/:hotel/reservations": reservations,
      "POST /v1/properties/:hotel/reservations/acknowledge": acknowledge,
      "GET /v1/properties/:hotel/rooms": rooms,
    }),
  );
  return { ...fake, state, addBooking: (id, reservation) => state.queue.push({ id, type: String(reservation.revision), payload: reservation as unknown as Record<string, unknown> }) };
}
