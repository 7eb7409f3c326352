import type { Facet } from "../../channel/coalesce.ts";
import type { ChannelBooking, PaymentModel } from "../../channel/model.ts";
import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { configString, decimalAmount, endpointOf, hashOf, isoTime, minorAmount, nowIso, requestFor, requireEndpoint } from "./common.ts";
import type { MappedItem, OtaContext, OtaEngine, PushedBookings } from "./engine.ts";
import { at, attr, buildXml, child, children, parseXml, rejected, rootOf, text, unexpected, xmlHttpError, type XmlNode } from "./xml.ts";
import { pullYcsBookings, usesYcs } from "./ycs.ts";

/**
 * `opentravel_xml`: OpenTravel 2003/05 messages as connectivity guides use them
 * (Booking.com's OTA endpoints, SiteMinder SiteConnect):
 *
 * - ARI: OTA_HotelAvailNotifRQ — one AvailStatusMessage per date range and
 *   restriction (BookingLimit; RestrictionStatus Master / Arrival / Departure;
 *   LengthsOfStay SetMinLOS / SetMaxLOS), and OTA_HotelRateAmountNotifRQ —
 *   RateAmountMessage / Rates / Rate / BaseByGuestAmts / BaseByGuestAmt.
 *   https://developer.siteminder.com/siteminder-apis/channels/introduction/siteconnect/api-reference/availability-and-restrictions
 *   https://developers.google.com/hotels/hotel-prices/xml-reference/ari-avail
 * - Bookings: the channel's queue of OTA_HotelResNotifRQ (new) and
 *   OTA_HotelResModifyNotifRQ (modified / cancelled), fetched with GET (Booking.com)
 *   or with an OTA_ReadRQ (POST); acknowledged with OTA_HotelResNotifRS /
 *   OTA_HotelResModifyNotifRS (Booking.com) or OTA_NotifReportRQ (`config.acknowledgeWith`).
 *   Booking.com developer docs: /connectivity/docs/reservations-api/acknowledging-new-reservations-ota
 * - Or bookings from the channel's own, non-OTA booking API where it has one:
 *   `bookings.dialect: "ycs"` (./ycs.ts).
 * - Every answer is read for `<Success/>` and `<Errors><Error .../>`.
 *
 * Record: `endpoints.{availability,rates,reservations,modifications?,ackReservations,ackModifications?}`,
 * `version` (the Version attribute), `pos` (credentials in POS/Source/RequestorID,
 * SiteMinder style, instead of or besides HTTP auth), `acknowledgeWith`,
 * `paymentModel.default`, `limits.itemsPerMessage`, `bookings.dialect`.
 */

const NS = "http://www.opentravel.org/OTA/2003/05";
const XML = "text/xml; charset=utf-8";

const facets: readonly Facet[] = [
  { name: "inventory", level: "room", fields: ["available"], kind: "availability" },
  { name: "roomStatus", level: "room", fields: ["closed"], kind: "availability" },
  { name: "status", level: "rate", fields: ["closed"], kind: "availability" },
  { name: "arrival", level: "rate", fields: ["closedToArrival"], kind: "availability" },
  { name: "departure", level: "rate", fields: ["closedToDeparture"], kind: "availability" },
  { name: "stay", level: "rate", fields: ["minLos", "maxLos"], kind: "availability" },
  { name: "rate", level: "rate", fields: ["rate", "currency"], kind: "rates" },
];

function header(context: OtaContext): XmlNode {
  const head: XmlNode = {
    "@_xmlns": NS,
    "@_EchoToken": hashOf(`${context.provider.id}:${context.ports.clock.now()}:${Math.random()}`),
    "@_TimeStamp": nowIso(context),
    "@_Version": configString(context.provider, "version") ?? "1.0",
  };
  if (context.provider.config.pos === true) {
    head.POS = { Source: { RequestorID: { "@_ID": context.secrets.username ?? "", "@_MessagePassword": context.secrets.password ?? "" } } };
  }
  return head;
}

function control(item: MappedItem, withRate: boolean): XmlNode {
  return {
    "@_Start": item.from,
    "@_End": item.to,
    "@_InvTypeCode": item.roomCode,
    ...(withRate && item.rateCode ? { "@_RatePlanCode": item.rateCode } : {}),
  };
}

const openClose = (closed: boolean | undefined) => (closed ? "Close" : "Open");

function availStatus(item: MappedItem): XmlNode {
  const values = item.values;
  switch (item.facet) {
    case "inventory":
      return { "@_BookingLimit": String(values.available), StatusApplicationControl: control(item, false) };
    case "roomStatus":
      return { StatusApplicationControl: control(item, false), RestrictionStatus: { "@_Status": openClose(values.closed) } };
    case "status":
      return { StatusApplicationControl: control(item, true), RestrictionStatus: { "@_Status": openClose(values.closed), "@_Restriction": "Master" } };
    case "arrival":
      return { StatusApplicationControl: control(item, true), RestrictionStatus: { "@_Status": openClose(values.closedToArrival), "@_Restriction": "Arrival" } };
    case "departure":
      return { StatusApplicationControl: control(item, true), RestrictionStatus: { "@_Status": openClose(values.closedToDeparture), "@_Restriction": "Departure" } };
    default: {
      const stays: XmlNode[] = [];
      if (values.minLos !== undefined) stays.push({ "@_MinMaxMessageType": "SetMinLOS", "@_Time": String(values.minLos), "@_TimeUnit": "Day" });
      if (values.maxLos !== undefined) stays.push({ "@_MinMaxMessageType": "SetMaxLOS", "@_Time": String(values.maxLos), "@_TimeUnit": "Day" });
      return { StatusApplicationControl: control(item, true), LengthsOfStay: { LengthOfStay: stays } };
    }
  }
}

function rateAmount(provider: Provider, item: MappedItem): XmlNode {
  const currency = item.values.currency ?? "";
  return {
    StatusApplicationControl: control(item, true),
    Rates: { Rate: [{ BaseByGuestAmts: { BaseByGuestAmt: [{ "@_AmountAfterTax": decimalAmount(provider, item.values.rate ?? 0, currency), "@_CurrencyCode": currency }] } }] },
  };
}

/** The errors an OTA answer lists, as one line. */
function errorsOf(root: XmlNode): string | undefined {
  const errors = children(child(root, "Errors"), "Error");
  if (errors.length === 0) return undefined;
  return errors
    .map((error) => [attr(error, "Code") && `code ${attr(error, "Code")}`, attr(error, "ShortText"), text(error)].filter(Boolean).join(" "))
    .join("; ");
}

/** Reads an OTA answer: `<Success/>` (warnings allowed) or an error naming what the channel said. */
function expectSuccess(response: HttpResponse, who: string, expectedRoots: readonly string[]): XmlNode {
  if (response.status >= 400) throw xmlHttpError(response, who, errorsOf);
  const document = parseXml(response.body, who, response.status);
  const root = rootOf(document);
  if (!root) throw unexpected(who, "an empty document", response.status);
  if (!expectedRoots.includes(root.name)) throw unexpected(who, `<${root.name}> instead of <${expectedRoots.join("> or <")}>`, response.status);
  const errors = errorsOf(root.node);
  if (errors) throw rejected(who, errors, response.status);
  if (child(root.node, "Success") === undefined && expectedRoots.some((name) => name.endsWith("RS"))) {
    throw unexpected(who, `<${root.name}> holds neither <Success/> nor <Errors>`, response.status);
  }
  return root.node;
}

async function sendAri(context: OtaContext, kind: string, items: readonly MappedItem[]): Promise<void> {
  const who = context.provider.name;
  if (kind === "rates") {
    const body = buildXml("OTA_HotelRateAmountNotifRQ", {
      ...header(context),
      RateAmountMessages: { "@_HotelCode": context.hotelCode, RateAmountMessage: items.map((item) => rateAmount(context.provider, item)) },
    });
    const response = await context.send(requestFor(context, requireEndpoint(context.provider, "rates", "OTA_HotelRateAmountNotif"), body, XML));
    expectSuccess(response, who, ["OTA_HotelRateAmountNotifRS"]);
    return;
  }
  const body = buildXml("OTA_HotelAvailNotifRQ", {
    ...header(context),
    AvailStatusMessages: { "@_HotelCode": context.hotelCode, AvailStatusMessage: items.map(availStatus) },
  });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "availability", "OTA_HotelAvailNotif"), body, XML));
  expectSuccess(response, who, ["OTA_HotelAvailNotifRS"]);
}

// ---------------------------------------------------------------- bookings

const STATUS: Record<string, ChannelBooking["status"]> = {
  commit: "new",
  book: "new",
  booked: "new",
  new: "new",
  reserved: "new",
  confirmed: "new",
  modify: "modified",
  modified: "modified",
  cancel: "cancelled",
  cancelled: "cancelled",
  canceled: "cancelled",
};

function personName(guest: XmlNode | undefined): ChannelBooking["guest"] {
  const customer = at(guest, "Profiles", "ProfileInfo", "Profile", "Customer");
  const name = child(customer, "PersonName");
  const firstName = text(child(name, "GivenName"));
  const lastName = text(child(name, "Surname"));
  return {
    firstName,
    lastName,
    name: [firstName, lastName].filter(Boolean).join(" ") || undefined,
    email: text(child(customer, "Email")),
    phone: attr(child(customer, "Telephone"), "PhoneNumber"),
  };
}

function paymentModelOf(provider: Provider, reservation: XmlNode): PaymentModel {
  const card = at(reservation, "ResGlobalInfo", "Guarantee", "GuaranteesAccepted", "GuaranteeAccepted", "PaymentCard");
  const holder = `${attr(card, "CardHolderName") ?? ""} ${text(child(card, "CardHolderName")) ?? ""}`;
  if (card && /virtual/i.test(holder)) return "virtual_card";
  const configured = (provider.config.paymentModel as { default?: string } | undefined)?.default;
  if (card) return "hotel_collect";
  return configured === "hotel_collect" || configured === "virtual_card" ? configured : "channel_collect";
}

/** One HotelReservation (or HotelResModify) in Sambung's words; undefined when it names no id or stay. */
function reservationOf(provider: Provider, node: XmlNode, source: "new" | "modify"): ChannelBooking | undefined {
  const ids = children(at(node, "ResGlobalInfo", "HotelReservationIDs"), "HotelReservationID");
  const bookingId = attr(child(node, "UniqueID"), "ID") ?? attr(ids[0], "ResID_Value");
  if (!bookingId) return undefined;
  const rawStatus = (attr(node, "ResStatus") ?? "").toLowerCase();
  const status = STATUS[rawStatus] ?? (source === "modify" ? "modified" : "new");
  const stays = children(child(node, "RoomStays"), "RoomStay");
  const spans = stays.map((stay) => child(stay, "TimeSpan")).filter((span) => span !== undefined);
  const arrival = spans.map((span) => attr(span, "Start")).filter((value): value is string => Boolean(value)).sort()[0];
  const departure = spans.map((span) => attr(span, "End")).filter((value): value is string => Boolean(value)).sort().at(-1);
  const globalTotal = at(node, "ResGlobalInfo", "Total");
  const rooms = stays.flatMap((stay) => {
    const roomRates = children(child(stay, "RoomRates"), "RoomRate");
    const roomCode = attr(roomRates[0], "RoomTypeCode") ?? attr(children(child(stay, "RoomTypes"), "RoomType")[0], "RoomTypeCode");
    if (!roomCode) return [];
    const rateCode = attr(roomRates[0], "RatePlanCode") ?? attr(children(child(stay, "RatePlans"), "RatePlan")[0], "RatePlanCode");
    const counts = children(child(stay, "GuestCounts"), "GuestCount");
    const count = (code: string) => counts.filter((entry) => attr(entry, "AgeQualifyingCode") === code).reduce((sum, entry) => sum + Number(attr(entry, "Count") ?? 0), 0);
    const total = child(stay, "Total");
    const currency = attr(total, "CurrencyCode");
    return [
      {
        roomCode,
        rateCode,
        quantity: Math.max(1, Number(attr(roomRates[0], "NumberOfUnits") ?? 1) || 1),
        adults: count("10") || undefined,
        children: count("8") || undefined,
        amount: minorAmount(provider, attr(total, "AmountAfterTax") ?? attr(total, "AmountBeforeTax"), currency),
      },
    ];
  });
  const totalNode = globalTotal ?? child(stays[0], "Total");
  const currency = attr(totalNode, "CurrencyCode");
  const amount = currency ? minorAmount(provider, attr(totalNode, "AmountAfterTax") ?? attr(totalNode, "AmountBeforeTax"), currency) : undefined;
  const modified = isoTime(attr(node, "LastModifyDateTime")) ?? isoTime(attr(node, "CreateDateTime")) ?? isoTime(attr(ids[0], "ResID_Date"));
  if (!arrival || !departure) {
    if (status !== "cancelled") return undefined;
  }
  return {
    bookingId,
    // Without a timestamp the status orders the versions: new < modified < cancelled.
    version: modified ?? `0000-${status === "new" ? 1 : status === "modified" ? 2 : 3}`,
    status,
    hotelCode: attr(at(node, "ResGlobalInfo", "BasicPropertyInfo"), "HotelCode") ?? attr(child(stays[0], "BasicPropertyInfo"), "HotelCode"),
    confirmationNumber: attr(ids[0], "ResID_Value"),
    createdAt: isoTime(attr(node, "CreateDateTime")),
    arrival: arrival ?? "1970-01-01",
    departure: departure ?? "1970-01-01",
    guest: personName(children(child(node, "ResGuests"), "ResGuest")[0]),
    rooms,
    total: currency && amount !== undefined ? { amount, currency } : undefined,
    paymentModel: paymentModelOf(provider, node),
    ack: { queue: source, ...(attr(ids[0], "ResID_Date") ? { date: attr(ids[0], "ResID_Date") as string } : {}) },
  };
}

/** Reservations in any of the documents channels send them in. */
function reservationsIn(provider: Provider, document: XmlNode, who: string): ChannelBooking[] {
  const root = rootOf(document);
  if (!root) throw unexpected(who, "an empty document");
  const errors = errorsOf(root.node);
  if (errors) throw rejected(who, errors);
  const nodes: { node: XmlNode; source: "new" | "modify" }[] = [
    ...children(child(root.node, "HotelReservations"), "HotelReservation").map((node) => ({ node, source: "new" as const })),
    ...children(child(root.node, "ReservationsList"), "HotelReservation").map((node) => ({ node, source: "new" as const })),
    ...children(child(root.node, "HotelResModifies"), "HotelResModify").map((node) => ({ node, source: "modify" as const })),
  ];
  const known = ["OTA_HotelResNotifRQ", "OTA_HotelResModifyNotifRQ", "OTA_ResRetrieveRS", "OTA_HotelResNotifRS"];
  if (!known.includes(root.name)) throw unexpected(who, `<${root.name}> instead of a reservations document`);
  return nodes.map(({ node, source }) => reservationOf(provider, node, source)).filter((booking): booking is ChannelBooking => booking !== undefined);
}

async function fetchQueue(context: OtaContext, name: "reservations" | "modifications"): Promise<ChannelBooking[]> {
  // A record without reservation endpoints takes ARI only (provider/warnings.ts says so on the provider).
  const endpoint = endpointOf(context.provider, name);
  if (!endpoint) return [];
  const who = context.provider.name;
  const post = (endpoint.method ?? "GET").toUpperCase() !== "GET";
  const body = post
    ? buildXml("OTA_ReadRQ", { ...header(context), ReadRequests: { HotelReadRequest: { "@_HotelCode": context.hotelCode, SelectionCriteria: { "@_SelectionType": "Undelivered" } } } })
    : undefined;
  const response = await context.send(requestFor(context, endpoint, body, XML));
  if (response.status >= 400) throw xmlHttpError(response, who, errorsOf);
  const bookings = reservationsIn(context.provider, parseXml(response.body, who, response.status), who);
  return name === "modifications" ? bookings.map((booking) => ({ ...booking, ack: { ...booking.ack, queue: "modify" } })) : bookings;
}

async function pullBookings(context: OtaContext): Promise<ChannelBooking[]> {
  if (usesYcs(context.provider)) return pullYcsBookings(context);
  const [fresh, changed] = await Promise.all([fetchQueue(context, "reservations"), fetchQueue(context, "modifications")]);
  return [...fresh, ...changed];
}

function reservationIds(booking: ChannelBooking): XmlNode {
  return {
    ResGlobalInfo: {
      HotelReservationIDs: { HotelReservationID: [{ "@_ResID_Value": booking.bookingId, ...(booking.ack.date ? { "@_ResID_Date": booking.ack.date } : {}) }] },
    },
  };
}

async function acknowledge(context: OtaContext, bookings: readonly ChannelBooking[]): Promise<void> {
  if (bookings.length === 0 || usesYcs(context.provider)) return;
  const who = context.provider.name;
  const style = configString(context.provider, "acknowledgeWith") ?? "OTA_HotelResNotifRS";
  const head = { ...header(context), "@_Target": context.provider.testMode ? "Test" : "Production" };
  if (style === "OTA_NotifReportRQ") {
    const body = buildXml("OTA_NotifReportRQ", {
      ...head,
      Success: {},
      NotifDetails: {
        HotelNotifReport: {
          HotelReservations: {
            HotelReservation: bookings.map((booking) => ({ "@_ResStatus": booking.status === "cancelled" ? "Cancelled" : "Reserved", UniqueID: { "@_Type": "14", "@_ID": booking.bookingId }, ...reservationIds(booking) })),
          },
        },
      },
    });
    const response = await context.send(requestFor(context, requireEndpoint(context.provider, "ackReservations", "acknowledgement"), body, XML));
    expectSuccess(response, who, ["OTA_NotifReportRS"]);
    return;
  }
  const fresh = bookings.filter((booking) => booking.ack.queue !== "modify");
  const changed = bookings.filter((booking) => booking.ack.queue === "modify");
  if (fresh.length > 0) {
    const body = buildXml("OTA_HotelResNotifRS", { ...head, Success: {}, HotelReservations: { HotelReservation: fresh.map(reservationIds) } });
    const response = await context.send(requestFor(context, requireEndpoint(context.provider, "ackReservations", "acknowledgement"), body, XML));
    expectSuccess(response, who, ["OTA_HotelResNotifRS", "OTA_HotelResNotifRQ"]);
  }
  if (changed.length > 0) {
    const endpoint = endpointOf(context.provider, "ackModifications") ?? requireEndpoint(context.provider, "ackReservations", "acknowledgement");
    const body = buildXml("OTA_HotelResModifyNotifRS", { ...head, Success: {}, HotelResModifies: { HotelResModify: changed.map(reservationIds) } });
    const response = await context.send(requestFor(context, endpoint, body, XML));
    expectSuccess(response, who, ["OTA_HotelResModifyNotifRS", "OTA_HotelResModifyNotifRQ"]);
  }
}

/** A channel pushing OTA_HotelResNotifRQ / OTA_HotelResModifyNotifRQ to our webhook. */
function parsePush(provider: Provider, body: string): PushedBookings {
  const document = parseXml(body, provider.name);
  const root = rootOf(document);
  const echo = root ? (typeof root.node["@_EchoToken"] === "string" ? (root.node["@_EchoToken"] as string) : undefined) : undefined;
  return { eventId: echo ? `echo:${echo}` : `sha:${hashOf(body)}`, bookings: reservationsIn(provider, document, provider.name) };
}

export const opentravelXml: OtaEngine = {
  facets,
  // Booking.com and SiteMinder document no fixed maximum; a few hundred elements keeps messages well under their size limits.
  defaultItemsPerMessage: 500,
  sendAri,
  pullBookings,
  acknowledge,
  acknowledges: (provider) => !usesYcs(provider),
  parsePush,
};

