import { createHmac, randomUUID } from "node:crypto";
import { bearer, routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "../server.ts";
import { attr, ChannelState, list, one, validRange, xml, xmlParser, type AcceptedMessage, type ChannelCell, type Node } from "./state.ts";

/**
 * A Booking.com-style channel speaking OpenTravel 2003/05 over its OTA endpoints
 * (https://developers.booking.com/connectivity/docs — OTA_HotelAvailNotif,
 * OTA_HotelRateAmountNotif, OTA_HotelResNotif, OTA_HotelResModifyNotif), with
 * token-based auth (https://developers.booking.com/connectivity/docs/token-based-authentication):
 * POST /token-based-authentication/exchange with JSON `{ client_id, client_secret }`
 * answers `{ jwt, ruid }`, a JWT with `exp` one hour on; every API call needs
 * `Authorization: Bearer <jwt>` and a missing, unknown or expired token gets 401
 * (the docs' answer to failed authentication). The body of a refused exchange is
 * not documented; this fake answers 401 with a JSON error. ARI requests are validated whole (hotel code, room and rate
 * codes, date ranges, the number of elements per request) and applied to the
 * channel's own per-date state; answers are `<Success/>` or `<Errors><Error
 * Type Code ShortText>`. New reservations wait on GET OTA_HotelResNotif and
 * modifications / cancellations on GET OTA_HotelResModifyNotif until
 * acknowledged with OTA_HotelResNotifRS / OTA_HotelResModifyNotifRS.
 */

const NS = "http://www.opentravel.org/OTA/2003/05";
const parser = xmlParser(["AvailStatusMessage", "RateAmountMessage", "LengthOfStay", "Rate", "BaseByGuestAmt", "HotelReservation", "HotelResModify", "HotelReservationID"]);

export interface OtaBooking {
  status: "new" | "modified" | "cancelled";
  created: string;
  modified?: string;
  arrival: string;
  departure: string;
  room: string;
  rate: string;
  units?: number;
  total: string;
  currency: string;
  guest: { first: string; last: string; email?: string };
  virtualCard?: boolean;
}

export interface BookingComFake extends HttpFake {
  state: ChannelState;
  /** Tokens issued by the exchange endpoint, and the refused exchanges. */
  tokens: { issued: number; refused: number };
  /** API calls refused for a missing, unknown or expired token. */
  unauthorized(): number;
  /** Revokes every token issued so far (the next call with one gets 401). */
  revokeTokens(): void;
  /** Queues a reservation (new ones on the new queue, modified / cancelled on the modify queue). */
  addBooking(id: string, booking: OtaBooking): void;
  /**
   * Pushes a reservation to a connectivity partner's URL instead of queueing it: an
   * OTA_HotelResNotifRQ with an EchoToken, with HTTP Basic credentials when given
   * (the SiteMinder-style push the opentravel_xml format also takes).
   */
  push(url: string, id: string, booking: OtaBooking, credentials?: { user: string; password: string }): Promise<{ status: number; body: string }>;
}

/** What one ARI element sets, over which room, rate plan and dates. */
type Change = AcceptedMessage["entries"][number];

const answer = (root: string, body: Node, status = 200): FakeResponse => ({ status, text: xml(root, { "@_xmlns": NS, "@_TimeStamp": new Date().toISOString(), "@_Version": "1.0", ...body }), headers: { "content-type": "text/xml" } });
const errors = (root: string, code: string, text: string): FakeResponse => answer(root, { Errors: { Error: { "@_Type": "3", "@_Code": code, "@_ShortText": text } } });

export interface BookingComFakeOptions {
  clientId: string;
  clientSecret: string;
  hotelCode: string;
  rooms: Record<string, string[]>;
  maxItems: number;
  /** The fake's clock for token expiry (a test's ManualClock), else the wall clock. */
  now?: () => number;
  tokenTtlSeconds?: number;
}

const SIGNING_KEY = "booking-com-fake-signing-key";
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function startBookingComFake(options: BookingComFakeOptions): Promise<BookingComFake> {
  const state = new ChannelState(options);
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtlSeconds ?? 3600;
  const live = new Map<string, number>();
  const tokens = { issued: 0, refused: 0 };
  let unauthorized = 0;
  const exchange = (request: FakeRequest): FakeResponse => {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      // an unreadable body is refused below like wrong credentials
    }
    if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) {
      tokens.refused += 1;
      return { status: 401, json: { errors: [{ code: "unauthorized", message: "Invalid client credentials" }] } };
    }
    const iat = Math.floor(now() / 1000);
    const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "connectivity-auth-proxy", iss: "urn://connectivity-modern-auth/v1", aud: "", iat, exp: iat + ttl, jti: randomUUID(), client_id: options.clientId, test: "true" })}`;
    const jwt = `${head}.${createHmac("sha256", SIGNING_KEY).update(head).digest("base64url")}`;
    live.set(jwt, (iat + ttl) * 1000);
    tokens.issued += 1;
    return { status: 200, json: { jwt, ruid: randomUUID() } };
  };
  const authorized = (request: FakeRequest) => {
    const expires = live.get(bearer(request) ?? "");
    const ok = expires !== undefined && expires > now();
    if (!ok) unauthorized += 1;
    return ok;
  };
  const guard = (request: FakeRequest, root: string): FakeResponse | undefined => {
    if (state.down) return { status: 503, text: "Service Temporarily Unavailable", headers: { "content-type": "text/plain" } };
    if (!authorized(request)) return { ...errors(root, "497", "Authorization failed"), status: 401 };
    return undefined;
  };
  const read = (request: FakeRequest, rootName: string): Node | string => {
    let document: Node;
    try {
      document = parser.parse(request.body) as Node;
    } catch {
      return "malformed XML";
    }
    const root = one(document[rootName]);
    return root ?? `expected ${rootName}`;
  };
  /** The request's root element, or the answer that refuses it (channel down, not authorised, unreadable). */
  const open = (request: FakeRequest, rootName: string, rs: string): { root: Node } | { refused: FakeResponse } => {
    const blocked = guard(request, rs);
    if (blocked) return { refused: blocked };
    const root = read(request, rootName);
    return typeof root === "string" ? { refused: errors(rs, "321", root) } : { root };
  };
  /** The room, rate plan and dates an ARI element's StatusApplicationControl names, or the error that refuses them. */
  const targetOf = (element: Node, rs: string, rateRequired: boolean): Omit<Change, "values"> | { refused: FakeResponse } => {
    const control = one(element.StatusApplicationControl);
    const room = attr(control, "InvTypeCode") ?? "";
    const rate = attr(control, "RatePlanCode");
    const from = attr(control, "Start");
    const to = attr(control, "End");
    if (rateRequired && !rate) return { refused: errors(rs, "321", "RatePlanCode is required") };
    if (!validRange(from, to)) return { refused: errors(rs, "321", `invalid dates ${from}..${to}`) };
    const unknown = state.unknownCode(room, rate);
    if (unknown) return { refused: errors(rs, "392", unknown) };
    return { room, rate, from: from as string, to: to as string };
  };
  /** Applies a whole request, every element of it valid, to the channel's state. */
  const accept = (kind: string, changes: Change[], rs: string): FakeResponse => {
    for (const change of changes) state.apply(change.room, change.rate, change.from, change.to, change.values);
    state.accepted.push({ kind, items: changes.length, entries: changes, at: Date.now() });
    return answer(rs, { Success: {} });
  };

  const availNotif = (request: FakeRequest): FakeResponse => {
    const rs = "OTA_HotelAvailNotifRS";
    const opened = open(request, "OTA_HotelAvailNotifRQ", rs);
    if ("refused" in opened) return opened.refused;
    const messages = one(opened.root.AvailStatusMessages);
    if (attr(messages, "HotelCode") !== state.hotelCode) return errors(rs, "392", `invalid hotel code ${attr(messages, "HotelCode")}`);
    const elements = list(messages?.AvailStatusMessage);
    if (elements.length === 0) return errors(rs, "321", "no AvailStatusMessage");
    if (elements.length > state.maxItems) return errors(rs, "321", `too many AvailStatusMessage elements (${elements.length} > ${state.maxItems})`);
    const changes: Change[] = [];
    for (const element of elements) {
      const target = targetOf(element, rs, false);
      if ("refused" in target) return target.refused;
      const values: ChannelCell = {};
      const limit = attr(element, "BookingLimit");
      if (limit !== undefined) values.available = Number(limit);
      const restriction = one(element.RestrictionStatus);
      if (restriction) {
        const closed = attr(restriction, "Status") === "Close";
        const kind = attr(restriction, "Restriction") ?? "Master";
        if (kind === "Arrival") values.closedToArrival = closed;
        else if (kind === "Departure") values.closedToDeparture = closed;
        else values.closed = closed;
      }
      for (const stay of list(one(element.LengthsOfStay)?.LengthOfStay)) {
        const time = Number(attr(stay, "Time"));
        if (attr(stay, "MinMaxMessageType") === "SetMinLOS") values.minLos = time;
        if (attr(stay, "MinMaxMessageType") === "SetMaxLOS") values.maxLos = time;
      }
      if (Object.keys(values).length === 0) return errors(rs, "321", "an AvailStatusMessage sets nothing");
      changes.push({ ...target, values });
    }
    return accept("availability", changes, rs);
  };

  const rateNotif = (request: FakeRequest): FakeResponse => {
    const rs = "OTA_HotelRateAmountNotifRS";
    const opened = open(request, "OTA_HotelRateAmountNotifRQ", rs);
    if ("refused" in opened) return opened.refused;
    const messages = one(opened.root.RateAmountMessages);
    if (attr(messages, "HotelCode") !== state.hotelCode) return errors(rs, "392", `invalid hotel code ${attr(messages, "HotelCode")}`);
    const elements = list(messages?.RateAmountMessage);
    if (elements.length === 0 || elements.length > state.maxItems) return errors(rs, "321", `RateAmountMessage count ${elements.length} outside 1..${state.maxItems}`);
    const changes: Change[] = [];
    for (const element of elements) {
      const target = targetOf(element, rs, true);
      if ("refused" in target) return target.refused;
      const amount = one(one(one(list(one(element.Rates)?.Rate)[0]?.BaseByGuestAmts)?.BaseByGuestAmt));
      const value = Number(attr(amount, "AmountAfterTax"));
      const currency = attr(amount, "CurrencyCode");
      if (!Number.isFinite(value) || !currency) return errors(rs, "321", "BaseByGuestAmt needs AmountAfterTax and CurrencyCode");
      changes.push({ ...target, values: { rate: value, currency } });
    }
    return accept("rates", changes, rs);
  };

  const reservationNode = (id: string, booking: OtaBooking): Node => ({
    "@_CreateDateTime": booking.created,
    ...(booking.modified ? { "@_LastModifyDateTime": booking.modified } : {}),
    "@_ResStatus": booking.status === "new" ? "Commit" : booking.status === "modified" ? "Modify" : "Cancel",
    UniqueID: { "@_Type": "14", "@_ID": id },
    RoomStays: {
      RoomStay: {
        RoomTypes: { RoomType: { "@_RoomTypeCode": booking.room } },
        RatePlans: { RatePlan: { "@_RatePlanCode": booking.rate } },
        RoomRates: { RoomRate: { "@_RoomTypeCode": booking.room, "@_RatePlanCode": booking.rate, "@_NumberOfUnits": String(booking.units ?? 1) } },
        GuestCounts: { GuestCount: { "@_AgeQualifyingCode": "10", "@_Count": "2" } },
        TimeSpan: { "@_Start": booking.arrival, "@_End": booking.departure },
        Total: { "@_AmountAfterTax": booking.total, "@_CurrencyCode": booking.currency },
      },
    },
    ResGuests: { ResGuest: { Profiles: { ProfileInfo: { Profile: { Customer: { PersonName: { GivenName: booking.guest.first, Surname: booking.guest.last }, ...(booking.guest.email ? { Email: booking.guest.email } : {}) } } } } } },
    ResGlobalInfo: {
      HotelReservationIDs: { HotelReservationID: { "@_ResID_Value": id, "@_ResID_Date": booking.created.replace(/Z$/, "") } },
      Total: { "@_AmountAfterTax": booking.total, "@_CurrencyCode": booking.currency },
      BasicPropertyInfo: { "@_HotelCode": state.hotelCode },
      ...(booking.virtualCard ? { Guarantee: { GuaranteesAccepted: { GuaranteeAccepted: { PaymentCard: { "@_CardHolderName": "Booking.com Virtual Card" } } } } } : {}),
    },
  });

  const retrieve = (type: "new" | "modify") => (request: FakeRequest): FakeResponse => {
    const root = type === "new" ? "OTA_HotelResNotifRQ" : "OTA_HotelResModifyNotifRQ";
    const blocked = guard(request, root);
    if (blocked) return blocked;
    state.retrievals += 1;
    const waiting = state.queue.filter((booking) => booking.type === type);
    const nodes = waiting.map((booking) => reservationNode(booking.id, booking.payload as unknown as OtaBooking));
    return answer(root, type === "new" ? { HotelReservations: { HotelReservation: nodes } } : { HotelResModifies: { HotelResModify: nodes } });
  };

  const acknowledge = (type: "new" | "modify") => (request: FakeRequest): FakeResponse => {
    const rs = type === "new" ? "OTA_HotelResNotifRS" : "OTA_HotelResModifyNotifRS";
    const opened = open(request, rs, rs);
    if ("refused" in opened) return opened.refused;
    const { root } = opened;
    if (state.failAcks > 0) {
      state.failAcks -= 1;
      return { status: 500, ...errors(rs, "450", "temporary failure, retry later") };
    }
    const containers = type === "new" ? list(one(root.HotelReservations)?.HotelReservation) : list(one(root.HotelResModifies)?.HotelResModify);
    const ids = containers.flatMap((entry) => list(one(one(entry.ResGlobalInfo)?.HotelReservationIDs)?.HotelReservationID).map((id) => attr(id, "ResID_Value")));
    if (ids.length === 0) return errors(rs, "321", "no HotelReservationID to acknowledge");
    for (const id of ids) if (id) state.acknowledged(id, type);
    return answer(rs, { Success: {} });
  };

  const fake = await startHttpFake(
    routes(
      {
        "POST /token-based-authentication/exchange": exchange,
        "POST /hotels/ota/OTA_HotelAvailNotif": availNotif,
        "POST /hotels/ota/OTA_HotelRateAmountNotif": rateNotif,
        "GET /hotels/ota/OTA_HotelResNotif": retrieve("new"),
        "POST /hotels/ota/OTA_HotelResNotif": acknowledge("new"),
        "GET /hotels/ota/OTA_HotelResModifyNotif": retrieve("modify"),
        "POST /hotels/ota/OTA_HotelResModifyNotif": acknowledge("modify"),
      },
      { status: 404, text: "Not Found" },
    ),
  );
  return {
    ...fake,
    state,
    tokens,
    unauthorized: () => unauthorized,
    revokeTokens: () => live.clear(),
    addBooking: (id, booking) => state.queue.push({ id, type: booking.status === "new" ? "new" : "modify", payload: booking as unknown as Record<string, unknown> }),
    push: async (url, id, booking, credentials) => {
      const body = xml("OTA_HotelResNotifRQ", { "@_xmlns": NS, "@_EchoToken": `push-${id}`, "@_TimeStamp": new Date().toISOString(), "@_Version": "1.0", HotelReservations: { HotelReservation: [reservationNode(id, booking)] } });
      const headers: Record<string, string> = { "content-type": "text/xml" };
      if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
      const response = await fetch(url, { method: "POST", headers, body });
      return { status: response.status, body: await response.text() };
    },
  };
}
