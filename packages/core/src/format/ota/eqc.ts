import type { Facet } from "../../channel/coalesce.ts";
import type { ChannelBooking, PaymentModel } from "../../channel/model.ts";
import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord, str } from "../http-auth.ts";
import { decimalAmount, hashOf, isoTime, minorAmount, nowIso, requestFor, requireEndpoint } from "./common.ts";
import type { ChannelRoom, MappedItem, OtaContext, OtaEngine } from "./engine.ts";
import { attr, buildXml, child, children, parseXml, rejected, rootOf, text, unexpected, xmlHttpError, type XmlNode } from "./xml.ts";

/**
 * `eqc_xml`: Expedia QuickConnect.
 *
 * - AR: AvailRateUpdateRQ (namespace EQC/AR/2011/06) — Authentication, Hotel, and
 *   AvailRateUpdate elements, each a DateRange with RoomType (Inventory
 *   totalInventoryAvailable, closed) and RatePlan (closed, Rate / PerDay, Restrictions
 *   minLOS maxLOS closedToArrival closedToDeparture); at most 5,000 updates a message.
 *   https://developers.expediagroup.com/supply/lodging/docs/avail_and_rate_apis/avail_rates/reference/request
 * - BR: BookingRetrievalRQ (EQC/BR/2014/01) for pending and retrieved-but-unconfirmed
 *   bookings (type Book / Modify / Cancel); BC: BookingConfirmRQ (EQC/BC/2007/09)
 *   with one BookingConfirmNumber per booking.
 * - PARR: ProductAvailRateRetrievalRQ (EQC/PAR/2013/07) lists the hotel's room types and rate plans.
 * - Answers: `<Success/>` (warnings allowed) or `<Error code="…">text</Error>`.
 *
 * Record: `endpoints.{ar,br,bc,parr}` paths, `namespaces.{ar,br,bc,parr}` to use other
 * schema versions, `limits.itemsPerMessage`. Credentials travel in the message body
 * (Authentication username / password), as EQC requires.
 */

const NAMESPACES = {
  ar: "http://www.expediaconnect.com/EQC/AR/2011/06",
  br: "http://www.expediaconnect.com/EQC/BR/2014/01",
  bc: "http://www.expediaconnect.com/EQC/BC/2007/09",
  parr: "http://www.expediaconnect.com/EQC/PAR/2013/07",
};
const XML = "text/xml; charset=utf-8";

const facets: readonly Facet[] = [
  { name: "inventory", level: "room", fields: ["available"], kind: "ar" },
  { name: "roomStatus", level: "room", fields: ["closed"], kind: "ar" },
  { name: "status", level: "rate", fields: ["closed"], kind: "ar" },
  { name: "restrictions", level: "rate", fields: ["minLos", "maxLos", "closedToArrival", "closedToDeparture"], kind: "ar" },
  { name: "rate", level: "rate", fields: ["rate", "currency"], kind: "ar" },
];

function namespace(provider: Provider, name: keyof typeof NAMESPACES): string {
  return str(asRecord(provider.config.namespaces)[name]) ?? NAMESPACES[name];
}

function opening(context: OtaContext, name: keyof typeof NAMESPACES): XmlNode {
  return {
    "@_xmlns": namespace(context.provider, name),
    Authentication: { "@_username": context.secrets.username ?? "", "@_password": context.secrets.password ?? "" },
    Hotel: { "@_id": context.hotelCode },
  };
}

const bool = (value: boolean | undefined) => (value ? "true" : "false");

function update(provider: Provider, item: MappedItem): XmlNode {
  const values = item.values;
  const room: XmlNode = { "@_id": item.roomCode };
  switch (item.facet) {
    case "inventory":
      room.Inventory = { "@_totalInventoryAvailable": String(values.available) };
      break;
    case "roomStatus":
      room["@_closed"] = bool(values.closed);
      break;
    case "status":
      room.RatePlan = { "@_id": item.rateCode, "@_closed": bool(values.closed) };
      break;
    case "restrictions": {
      const restrictions: XmlNode = {};
      if (values.minLos !== undefined) restrictions["@_minLOS"] = String(values.minLos);
      if (values.maxLos !== undefined) restrictions["@_maxLOS"] = String(values.maxLos);
      if (values.closedToArrival !== undefined) restrictions["@_closedToArrival"] = bool(values.closedToArrival);
      if (values.closedToDeparture !== undefined) restrictions["@_closedToDeparture"] = bool(values.closedToDeparture);
      room.RatePlan = { "@_id": item.rateCode, Restrictions: restrictions };
      break;
    }
    default: {
      const currency = values.currency ?? "";
      room.RatePlan = { "@_id": item.rateCode, Rate: { "@_currency": currency, PerDay: { "@_rate": decimalAmount(provider, values.rate ?? 0, currency) } } };
    }
  }
  return { DateRange: { "@_from": item.from, "@_to": item.to }, RoomType: room };
}

function errorsOf(root: XmlNode): string | undefined {
  const errors = children(root, "Error");
  if (errors.length === 0) return undefined;
  return errors.map((error) => `${attr(error, "code") ? `code ${attr(error, "code")}: ` : ""}${text(error) ?? "no description"}`).join("; ");
}

/** An EQC answer: the root named, and `<Success/>` rather than `<Error>`. */
function expectSuccess(response: HttpResponse, who: string, rootName: string): XmlNode {
  if (response.status >= 400) throw xmlHttpError(response, who, errorsOf);
  const root = rootOf(parseXml(response.body, who, response.status));
  if (!root) throw unexpected(who, "an empty document", response.status);
  const errors = errorsOf(root.node);
  if (errors) throw rejected(who, errors, response.status);
  if (root.name !== rootName) throw unexpected(who, `<${root.name}> instead of <${rootName}>`, response.status);
  return root.node;
}

async function sendAri(context: OtaContext, _kind: string, items: readonly MappedItem[]): Promise<void> {
  const body = buildXml("AvailRateUpdateRQ", { ...opening(context, "ar"), AvailRateUpdate: items.map((item) => update(context.provider, item)) });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "ar", "AR (availability and rates)"), body, XML));
  const root = expectSuccess(response, context.provider.name, "AvailRateUpdateRS");
  if (child(root, "Success") === undefined) throw unexpected(context.provider.name, "<AvailRateUpdateRS> holds neither <Success/> nor <Error>", response.status);
}

const TYPES: Record<string, ChannelBooking["status"]> = { book: "new", modify: "modified", cancel: "cancelled" };
const RANK: Record<ChannelBooking["status"], number> = { new: 1, modified: 2, cancelled: 3 };

function paymentModelOf(booking: XmlNode): PaymentModel {
  const holder = attr(child(child(child(booking, "RoomStay"), "PaymentCard"), "CardHolder"), "name") ?? "";
  if (/virtual\s*card/i.test(holder)) return "virtual_card";
  const requests = children(booking, "SpecialRequest").map((request) => `${attr(request, "code") ?? ""}:${text(request) ?? ""}`);
  if (requests.some((request) => /^5:.*hotel collect/i.test(request))) return "hotel_collect";
  return "channel_collect";
}

function bookingOf(provider: Provider, node: XmlNode): ChannelBooking | undefined {
  const bookingId = attr(node, "id");
  const status = TYPES[(attr(node, "type") ?? "").toLowerCase()];
  if (!bookingId || !status) return undefined;
  const stay = child(node, "RoomStay");
  const dates = child(stay, "StayDate");
  const guests = child(stay, "GuestCount");
  const total = child(stay, "Total");
  const currency = attr(total, "currency") ?? attr(child(stay, "PerDayRates"), "currency");
  const amount = currency ? minorAmount(provider, attr(total, "amountAfterTaxes"), currency) : undefined;
  const name = child(child(node, "PrimaryGuest"), "Name");
  const phone = child(child(node, "PrimaryGuest"), "Phone");
  const roomCode = attr(stay, "roomTypeID");
  const created = isoTime(attr(node, "createDateTime"));
  const arrival = attr(dates, "arrival");
  const departure = attr(dates, "departure");
  if (!arrival || !departure) return undefined;
  return {
    bookingId,
    // The same id comes back as Book, Modify, Cancel: the message time orders them, the type breaks ties.
    version: `${created ?? "0000"}#${RANK[status]}`,
    status,
    hotelCode: attr(child(node, "Hotel"), "id"),
    confirmationNumber: attr(node, "confirmNumber"),
    createdAt: created,
    arrival,
    departure,
    guest: {
      firstName: attr(name, "givenName"),
      lastName: attr(name, "surname"),
      name: [attr(name, "givenName"), attr(name, "surname")].filter(Boolean).join(" ") || undefined,
      email: text(child(child(node, "PrimaryGuest"), "Email")),
      phone: phone ? [attr(phone, "countryCode"), attr(phone, "cityAreaCode"), attr(phone, "number")].filter(Boolean).join(" ") : undefined,
    },
    rooms:
      roomCode && roomCode !== "0"
        ? [{ roomCode, rateCode: attr(stay, "ratePlanID"), quantity: 1, adults: Number(attr(guests, "adult") ?? 0) || undefined, children: Number(attr(guests, "child") ?? 0) || undefined, amount }]
        : [],
    total: currency && amount !== undefined ? { amount, currency } : undefined,
    paymentModel: paymentModelOf(node),
    ack: { bookingType: attr(node, "type") ?? "Book" },
  };
}

async function pullBookings(context: OtaContext): Promise<ChannelBooking[]> {
  const body = buildXml("BookingRetrievalRQ", { ...opening(context, "br"), ParamSet: { Status: [{ "@_value": "pending" }, { "@_value": "retrieved" }] } });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "br", "BR (booking retrieval)"), body, XML));
  const root = expectSuccess(response, context.provider.name, "BookingRetrievalRS");
  return children(child(root, "Bookings"), "Booking")
    .map((node) => bookingOf(context.provider, node))
    .filter((booking): booking is ChannelBooking => booking !== undefined);
}

/** Our confirmation number for a booking: stable, so a repeated confirmation says the same. */
function confirmNumber(context: OtaContext, booking: ChannelBooking): string {
  return `SB${hashOf(`${context.provider.id}:${booking.bookingId}`).slice(0, 12).toUpperCase()}`;
}

async function acknowledge(context: OtaContext, bookings: readonly ChannelBooking[]): Promise<void> {
  if (bookings.length === 0) return;
  const body = buildXml("BookingConfirmRQ", {
    ...opening(context, "bc"),
    BookingConfirmNumbers: {
      BookingConfirmNumber: bookings.map((booking) => ({
        "@_bookingID": booking.bookingId,
        "@_bookingType": booking.ack.bookingType ?? "Book",
        "@_confirmNumber": confirmNumber(context, booking),
        "@_confirmTime": nowIso(context),
      })),
    },
  });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "bc", "BC (booking confirmation)"), body, XML));
  const root = expectSuccess(response, context.provider.name, "BookingConfirmRS");
  if (child(root, "Success") === undefined) throw unexpected(context.provider.name, "<BookingConfirmRS> holds neither <Success/> nor <Error>", response.status);
}

async function listRooms(context: OtaContext): Promise<ChannelRoom[]> {
  const body = buildXml("ProductAvailRateRetrievalRQ", { ...opening(context, "parr"), ParamSet: { ProductRetrieval: {} } });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "parr", "PARR (product retrieval)"), body, XML));
  const root = expectSuccess(response, context.provider.name, "ProductAvailRateRetrievalRS");
  return children(child(root, "ProductList"), "RoomType").map((room) => ({
    code: attr(room, "id") ?? "",
    name: attr(room, "name"),
    ratePlans: children(room, "RatePlan").map((plan) => ({ code: attr(plan, "id") ?? "", name: attr(plan, "name") })),
  }));
}

export const eqcXml: OtaEngine = {
  facets,
  defaultItemsPerMessage: 5000,
  sendAri,
  pullBookings,
  acknowledge,
  listRooms,
};
