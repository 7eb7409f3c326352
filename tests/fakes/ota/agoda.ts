import { basicAuth, routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "../server.ts";
import { attr, list, one, xml, xmlParser, type Node } from "./state.ts";

/**
 * An Agoda simulator: the two APIs a channel manager uses.
 *
 * - OTA API (https://developer.agoda.com/supply/reference/ota-api-overview): OTA_HotelAvailNotifRQ
 *   and OTA_HotelRateAmountNotifRQ both POSTed to /b2b/ota/2015B/hotels, answered with the
 *   matching RS holding `<Success/>` or `<Errors><Error Type Code ShortText/>`
 *   (https://developer.agoda.com/supply/reference/ota_hotelavailnotifrs). The docs do not say
 *   how credentials travel; this fake takes HTTP Basic, as the preset sends them. Messages are
 *   only recorded (the booking tests do not look at Agoda's ARI).
 * - YCS Supply API (https://developer.agoda.com/supply/docs/booking-retrieval): one generic
 *   endpoint, POST /api?apiKey=…, whose body's `type` attribute names the call —
 *   3 GetBookingList (`<criteria from to [status]><property id/>` → `<result><properties
 *   count><property id><bookings><booking booking_id booking_date last_action arrival
 *   departure status acknowledge/>`: bookings whose last action falls in from..to, at most
 *   5 properties, a range of at most 90 days starting at most 740 days back) and
 *   4 GetBookingDetail (`<criteria language><property id><booking id/>…` → `<result><bookings
 *   count iataid><booking …><customer/><prices currency sell_inclusive_amt><price/></prices>
 *   <paymentmodel/></booking>`: one property, at most 50 ids; ids it does not hold are left out).
 *   Agoda keeps one state per booking — the latest confirm, amend or cancel — with its
 *   last_action time in ICT (GMT+7), as every example shows. There is no acknowledgement call.
 *   Refusals are `<result><errors>[<property id>]<error code description/>` with HTTP 400 or
 *   401 (https://developer.agoda.com/supply/reference/setari-v2-example-5); the codes are those
 *   the error list gives for a missing or wrong API key (1503), a property the key may not
 *   manage (1201), a schema problem (1511) and from after to (1101)
 *   (https://developer.agoda.com/supply/reference/error-code-cm).
 */

const NS = "http://www.opentravel.org/OTA/2003/05";
const parser = xmlParser(["property", "booking"]);
const otaParser = xmlParser(["AvailStatusMessage", "RateAmountMessage"]);
const DAY = 86_400_000;
const ICT = 7 * 3_600_000;

export interface AgodaBooking {
  status: "ConfirmBooking" | "AmendBooking" | "CancelBooking";
  /** When the guest booked and when the booking last changed (ms, the test's clock). */
  bookedAt: number;
  lastAction: number;
  arrival: string;
  departure: string;
  roomId: string;
  ratePlanId: string;
  rooms?: number;
  adults?: number;
  /** `<prices currency sell_inclusive_amt>` (major units, as Agoda writes them). */
  currency: string;
  amount: string;
  guest: { first: string; last: string };
  /** `<paymentmodel>` as Agoda writes it. */
  paymentModel?: string;
}

export interface AgodaFake extends HttpFake {
  /** Puts a booking's latest state (a new booking, its amendment or its cancellation). */
  book(id: string, booking: AgodaBooking): void;
  /** YCS requests served, by their `type` attribute (only 3 and 4 exist for bookings). */
  readonly calls: Map<string, number>;
  /** OTA ARI messages taken, by root element. */
  readonly ari: Map<string, number>;
  /** The next `n` YCS answers are this instead of the real answer (a broken or changed API). */
  breakNext(n: number, answer: FakeResponse): void;
  down: boolean;
}

/** A time as Agoda writes it: ICT, seconds, "+07:00". */
const ict = (ms: number) => `${new Date(ms + ICT).toISOString().slice(0, 19)}+07:00`;

/** The attributes a booking carries in both the list (type 3) and the detail (type 4) answers. */
const summaryOf = (booking: AgodaBooking) => ({
  "@_booking_date": ict(booking.bookedAt),
  "@_last_action": ict(booking.lastAction),
  "@_arrival": booking.arrival,
  "@_departure": booking.departure,
  "@_status": booking.status,
  "@_acknowledge": "0",
});

export interface AgodaFakeOptions {
  username: string;
  password: string;
  apiKey: string;
  propertyId: string;
  /** The test's clock (the hub's ManualClock): the lookback limit and answer timestamps. */
  now: () => number;
}

export async function startAgodaFake(options: AgodaFakeOptions): Promise<AgodaFake> {
  const bookings = new Map<string, AgodaBooking>();
  const calls = new Map<string, number>();
  const ari = new Map<string, number>();
  const broken: FakeResponse[] = [];
  const control = { down: false };

  const result = (body: Node, status = 200): FakeResponse => ({ status, text: xml("result", { "@_timestamp": String(options.now()), ...body }), headers: { "content-type": "text/xml" } });
  const refuse = (status: number, code: string, description: string, propertyId?: string): FakeResponse => {
    const error = { "@_code": code, "@_description": description };
    return result({ errors: propertyId ? { property: { "@_id": propertyId, error } } : { error } }, status);
  };

  const listed = (criteria: Node): FakeResponse => {
    const from = Date.parse(attr(criteria, "from") ?? "");
    const to = Date.parse(attr(criteria, "to") ?? "");
    const status = attr(criteria, "status");
    const properties = list(criteria.property).map((property) => attr(property, "id") ?? "");
    if (!Number.isFinite(from) || !Number.isFinite(to)) return refuse(400, "1511", "[Line:1 Column:1] criteria needs from and to with a UTC offset");
    if (from > to) return refuse(400, "1101", `From date: ${attr(criteria, "from")} cannot be later than To date: ${attr(criteria, "to")}`);
    if (to - from > 90 * DAY) return refuse(400, "1511", "[Line:1 Column:1] the date range allows up to 90 days per request");
    if (options.now() - from > 740 * DAY) return refuse(400, "1511", "[Line:1 Column:1] from cannot be older than 740 days");
    if (properties.length === 0 || properties.length > 5) return refuse(400, "1511", "[Line:1 Column:1] between 1 and 5 property ids");
    const foreign = properties.find((id) => id !== options.propertyId);
    if (foreign) return refuse(400, "1201", `API key is not authorised for Property id: ${foreign}`, foreign);
    const found = [...bookings].filter(([, booking]) => booking.lastAction >= from && booking.lastAction <= to && (!status || booking.status === status));
    return result({
      properties: {
        "@_count": "1",
        property: {
          "@_id": options.propertyId,
          bookings: {
            booking: found.map(([id, booking]) => ({
              "@_booking_id": id,
              ...summaryOf(booking),
            })),
          },
        },
      },
    });
  };

  const detailed = (criteria: Node): FakeResponse => {
    const properties = list(criteria.property);
    if (properties.length !== 1) return refuse(400, "1511", "[Line:1 Column:1] max property id is restricted to 1");
    const propertyId = attr(properties[0], "id") ?? "";
    if (propertyId !== options.propertyId) return refuse(400, "1201", `API key is not authorised for Property id: ${propertyId}`, propertyId);
    const ids = list(properties[0]?.booking).map((booking) => attr(booking, "id") ?? "");
    if (ids.length === 0 || ids.length > 50) return refuse(400, "1511", "[Line:1 Column:1] between 1 and 50 booking ids");
    const found = ids.flatMap((id) => {
      const booking = bookings.get(id);
      return booking ? [[id, booking] as const] : [];
    });
    return result({
      bookings: {
        "@_count": String(found.length),
        "@_iataid": "96637800",
        booking: found.map(([id, booking]) => ({
          "@_property_id": options.propertyId,
          "@_property_name": "Pantai Resort",
          "@_booking_id": id,
          ...summaryOf(booking),
          "@_room_id": booking.roomId,
          "@_room_type": "Deluxe - 2 persons",
          "@_channel_id": "1",
          "@_channel_name": "Retail",
          "@_rateplan_id": booking.ratePlanId,
          "@_rateplan_name": "Room Only",
          "@_room_count": String(booking.rooms ?? 1),
          "@_adults": String(booking.adults ?? 2),
          "@_children": "0",
          "@_extrabeds": "0",
          "@_cxl_code": "1D1N_1N",
          customer: { "@_first_name": booking.guest.first, "@_last_name": booking.guest.last, "@_nationality": "Indonesia" },
          prices: { "@_currency": booking.currency, "@_sell_inclusive_amt": booking.amount, price: { "@_date": booking.arrival, "@_sell_inclusive_amt": booking.amount, "@_type": "Room" } },
          paymentmodel: booking.paymentModel ?? "2",
        })),
      },
    });
  };

  const ycs = (request: FakeRequest): FakeResponse => {
    if (control.down) return { status: 503, text: "Service Unavailable", headers: { "content-type": "text/plain" } };
    if (request.query.get("apiKey") !== options.apiKey) return refuse(401, "1503", "Authentication failed: The supplied authentication is invalid");
    let document: Node;
    try {
      document = parser.parse(request.body) as Node;
    } catch {
      return refuse(400, "1511", "[Line:1 Column:1] the request is not well-formed XML");
    }
    const root = one(document.request);
    const type = attr(root, "type") ?? "";
    calls.set(type, (calls.get(type) ?? 0) + 1);
    const replaced = broken.shift();
    if (replaced) return replaced;
    const criteria = one(root?.criteria);
    if (!root || !criteria) return refuse(400, "1511", "[Line:1 Column:1] expected <request> with <criteria>");
    if (type === "3") return listed(criteria);
    if (type === "4") return detailed(criteria);
    return refuse(400, "1511", `[Line:1 Column:1] request type "${type}" is not a booking request`);
  };

  const ota = (request: FakeRequest): FakeResponse => {
    const credentials = basicAuth(request);
    let document: Node = {};
    try {
      document = otaParser.parse(request.body) as Node;
    } catch {
      // answered below as an unknown message
    }
    const name = ["OTA_HotelAvailNotifRQ", "OTA_HotelRateAmountNotifRQ"].find((candidate) => document[candidate] !== undefined);
    const rs = (name ?? "OTA_HotelAvailNotifRQ").replace(/RQ$/, "RS");
    const answer = (body: Node, status = 200): FakeResponse => ({ status, text: xml(rs, { "@_xmlns": NS, "@_TimeStamp": ict(options.now()), "@_Target": "Production", "@_Version": "1.0", ...body }), headers: { "content-type": "text/xml" } });
    if (credentials?.user !== options.username || credentials.password !== options.password) return answer({ Errors: { Error: { "@_Type": "4", "@_Code": "497", "@_ShortText": "Authorization error" } } }, 401);
    if (!name) return answer({ Errors: { Error: { "@_Type": "3", "@_Code": "321", "@_ShortText": "Unknown message" } } });
    ari.set(name, (ari.get(name) ?? 0) + 1);
    return answer({ Success: {} });
  };

  const fake = await startHttpFake(routes({ "POST /api": ycs, "POST /b2b/ota/2015B/hotels": ota }, { status: 404, text: "Not Found" }));
  return {
    ...fake,
    calls,
    ari,
    book: (id, booking) => bookings.set(id, booking),
    breakNext: (n, answer) => broken.push(...Array.from({ length: n }, () => answer)),
    get down() {
      return control.down;
    },
    set down(value: boolean) {
      control.down = value;
    },
  };
}
