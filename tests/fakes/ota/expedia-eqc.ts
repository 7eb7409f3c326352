import { routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "../server.ts";
import { attr, ChannelState, list, one, validRange, xml, xmlParser, type ChannelCell, type Node } from "./state.ts";

/**
 * An Expedia QuickConnect simulator (https://developers.expediagroup.com/supply/lodging/docs/avail_and_rate_apis/avail_rates/reference/request,
 * booking retrieval / confirmation examples in Expedia's EQC docs): POST /eqc/ar
 * (AvailRateUpdateRQ, namespace EQC/AR/2011/06), /eqc/br (BookingRetrievalRQ),
 * /eqc/bc (BookingConfirmRQ), /eqc/parr (ProductAvailRateRetrievalRQ). Credentials
 * travel in `<Authentication username password>`; answers are `<Success/>` or
 * `<Error code="…">` elements. A booking stays retrievable (pending, then
 * retrieved) until a BookingConfirmRQ confirms it.
 */

const AR_NS = "http://www.expediaconnect.com/EQC/AR/2011/06";
const parser = xmlParser(["AvailRateUpdate", "BookingConfirmNumber", "Status"]);

export interface EqcBooking {
  type: "Book" | "Modify" | "Cancel";
  created: string;
  arrival: string;
  departure: string;
  room: string;
  rate: string;
  total: string;
  currency: string;
  guest: { first: string; last: string };
  collect?: "hotel" | "expedia" | "virtual";
}

export interface EqcFake extends HttpFake {
  state: EqcState;
  addBooking(id: string, booking: EqcBooking): void;
}

class EqcState extends ChannelState {
  /** Booking ids the partner has retrieved at least once. */
  readonly retrieved = new Set<string>();
}

const text = (root: string, body: Node, namespace: string): FakeResponse => ({ text: xml(root, { "@_xmlns": namespace, ...body }), headers: { "content-type": "text/xml" } });

export async function startEqcFake(options: { username: string; password: string; hotelCode: string; rooms: Record<string, string[]>; maxItems: number }): Promise<EqcFake> {
  const state = new EqcState(options);
  const parse = (request: FakeRequest, rootName: string, namespace: string): { root: Node } | { error: FakeResponse } => {
    const rs = rootName.replace(/RQ$/, "RS");
    const fail = (code: string, message: string) => ({ error: text(rs, { Error: { "@_code": code, "#text": message } }, namespace) });
    if (state.down) return { error: { status: 503, text: "Service Unavailable", headers: { "content-type": "text/plain" } } };
    let document: Node;
    try {
      document = parser.parse(request.body) as Node;
    } catch {
      return fail("2001", "Malformed XML");
    }
    const root = one(document[rootName]);
    if (!root) return fail("2001", `Expected ${rootName}`);
    const auth = one(root.Authentication);
    if (attr(auth, "username") !== options.username || attr(auth, "password") !== options.password) return fail("1001", "Authentication error: invalid username or password");
    const hotel = attr(one(root.Hotel), "id");
    if (hotel !== undefined && hotel !== state.hotelCode) return fail("3202", `Hotel ID ${hotel} is not assigned to this user`);
    return { root };
  };

  const ar = (request: FakeRequest): FakeResponse => {
    const parsed = parse(request, "AvailRateUpdateRQ", AR_NS);
    if ("error" in parsed) return parsed.error;
    const fail = (code: string, message: string) => text("AvailRateUpdateRS", { Error: { "@_code": code, "#text": message } }, AR_NS);
    const updates = list(parsed.root.AvailRateUpdate);
    if (updates.length === 0) return fail("3000", "No AvailRateUpdate element");
    if (updates.length > state.maxItems) return fail("3010", `Too many updates in one message (${updates.length} > ${state.maxItems})`);
    const changes: { room: string; rate?: string; from: string; to: string; values: ChannelCell }[] = [];
    for (const update of updates) {
      const range = one(update.DateRange);
      const from = attr(range, "from");
      const to = attr(range, "to");
      if (!validRange(from, to)) return fail("3103", `Invalid date range ${from}..${to}`);
      const roomType = one(update.RoomType);
      const room = attr(roomType, "id") ?? "";
      const unknownRoom = state.unknownCode(room);
      if (unknownRoom) return fail("3203", unknownRoom);
      const roomValues: ChannelCell = {};
      const closed = attr(roomType, "closed");
      if (closed !== undefined) roomValues.closed = closed === "true";
      const inventory = attr(one(roomType?.Inventory), "totalInventoryAvailable");
      if (inventory !== undefined) roomValues.available = Number(inventory);
      if (Object.keys(roomValues).length > 0) changes.push({ room, from: from as string, to: to as string, values: roomValues });
      const plan = one(roomType?.RatePlan);
      if (plan) {
        const rate = attr(plan, "id") ?? "";
        const unknownRate = state.unknownCode(room, rate);
        if (unknownRate) return fail("3204", unknownRate);
        const values: ChannelCell = {};
        const planClosed = attr(plan, "closed");
        if (planClosed !== undefined) values.closed = planClosed === "true";
        const amount = one(plan.Rate);
        if (amount) {
          const perDay = attr(one(amount.PerDay), "rate");
          if (perDay === undefined || !attr(amount, "currency")) return fail("3105", "Rate needs a currency and a PerDay rate");
          values.rate = Number(perDay);
          values.currency = attr(amount, "currency");
        }
        const restrictions = one(plan.Restrictions);
        if (restrictions) {
          const minLos = attr(restrictions, "minLOS");
          const maxLos = attr(restrictions, "maxLOS");
          const cta = attr(restrictions, "closedToArrival");
          const ctd = attr(restrictions, "closedToDeparture");
          if (minLos !== undefined) values.minLos = Number(minLos);
          if (maxLos !== undefined) values.maxLos = Number(maxLos);
          if (cta !== undefined) values.closedToArrival = cta === "true";
          if (ctd !== undefined) values.closedToDeparture = ctd === "true";
        }
        if (Object.keys(values).length > 0) changes.push({ room, rate, from: from as string, to: to as string, values });
      }
    }
    for (const change of changes) state.apply(change.room, change.rate, change.from, change.to, change.values);
    state.accepted.push({ kind: "ar", items: updates.length, entries: changes, at: Date.now() });
    return text("AvailRateUpdateRS", { Success: {} }, "http://www.expediaconnect.com/EQC/AR/2007/02");
  };

  const br = (request: FakeRequest): FakeResponse => {
    const namespace = "http://www.expediaconnect.com/EQC/BR/2014/01";
    const parsed = parse(request, "BookingRetrievalRQ", namespace);
    if ("error" in parsed) return parsed.error;
    state.retrievals += 1;
    const wanted = new Set(list(one(parsed.root.ParamSet)?.Status).map((status) => attr(status, "value")));
    if (wanted.size === 0) wanted.add("pending");
    const bookings = state.queue.filter((entry) => wanted.has(state.retrieved.has(`${entry.id}|${entry.type}`) ? "retrieved" : "pending"));
    const nodes = bookings.map((entry) => {
      const booking = entry.payload as unknown as EqcBooking;
      const status = state.retrieved.has(`${entry.id}|${entry.type}`) ? "retrieved" : "pending";
      state.retrieved.add(`${entry.id}|${entry.type}`);
      const card = booking.collect === "virtual" ? { PaymentCard: { "@_cardCode": "VI", "@_cardNumber": "****1234", "@_expireDate": "1230", CardHolder: { "@_name": "Expedia VirtualCard" } } } : {};
      return {
        "@_id": entry.id,
        "@_type": booking.type,
        "@_createDateTime": booking.created,
        "@_source": "Expedia",
        "@_status": status,
        ...(booking.type !== "Book" ? { "@_confirmNumber": "HOTEL-1" } : {}),
        Hotel: { "@_id": state.hotelCode },
        RoomStay: {
          "@_roomTypeID": booking.type === "Cancel" ? "0" : booking.room,
          "@_ratePlanID": booking.type === "Cancel" ? "0" : booking.rate,
          StayDate: { "@_arrival": booking.arrival, "@_departure": booking.departure },
          GuestCount: { "@_adult": "2" },
          Total: { "@_amountAfterTaxes": booking.total, "@_currency": booking.currency },
          ...card,
        },
        PrimaryGuest: { Name: { "@_givenName": booking.guest.first, "@_surname": booking.guest.last } },
        ...(booking.collect === "hotel" ? { SpecialRequest: { "@_code": "5", "#text": "Hotel Collect Booking  Collect Payment From Guest" } } : {}),
      };
    });
    return text("BookingRetrievalRS", { Bookings: { Booking: nodes } }, namespace);
  };

  const bc = (request: FakeRequest): FakeResponse => {
    const namespace = "http://www.expediaconnect.com/EQC/BC/2007/09";
    const parsed = parse(request, "BookingConfirmRQ", namespace);
    if ("error" in parsed) return parsed.error;
    if (state.failAcks > 0) {
      state.failAcks -= 1;
      return text("BookingConfirmRS", { Error: { "@_code": "4000", "#text": "Internal error, please retry" } }, namespace);
    }
    const confirmations = list(one(parsed.root.BookingConfirmNumbers)?.BookingConfirmNumber);
    if (confirmations.length === 0) return text("BookingConfirmRS", { Error: { "@_code": "3000", "#text": "No BookingConfirmNumber" } }, namespace);
    for (const confirmation of confirmations) {
      if (!attr(confirmation, "confirmNumber")) return text("BookingConfirmRS", { Error: { "@_code": "3101", "#text": "confirmNumber is required" } }, namespace);
      state.acknowledged(attr(confirmation, "bookingID") ?? "", attr(confirmation, "bookingType") ?? "");
    }
    return text("BookingConfirmRS", { Success: {} }, namespace);
  };

  const parr = (request: FakeRequest): FakeResponse => {
    const namespace = "http://www.expediaconnect.com/EQC/PAR/2013/07";
    const parsed = parse(request, "ProductAvailRateRetrievalRQ", namespace);
    if ("error" in parsed) return parsed.error;
    return text(
      "ProductAvailRateRetrievalRS",
      {
        ProductList: {
          Hotel: { "@_id": state.hotelCode, "@_name": "Test Hotel" },
          RoomType: [...state.rooms].map(([room, rates]) => ({ "@_id": room, "@_name": `Room ${room}`, "@_status": "Active", RatePlan: [...rates].map((rate) => ({ "@_id": rate, "@_name": `Rate ${rate}`, "@_status": "Active" })) })),
        },
      },
      namespace,
    );
  };

  const fake = await startHttpFake(routes({ "POST /eqc/ar": ar, "POST /eqc/br": br, "POST /eqc/bc": bc, "POST /eqc/parr": parr }, { status: 404, text: "Not Found" }));
  return { ...fake, state, addBooking: (id, booking) => state.queue.push({ id, type: booking.type, payload: booking as unknown as Record<string, unknown> }) };
}
