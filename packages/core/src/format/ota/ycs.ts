import type { ChannelBooking, PaymentModel } from "../../channel/model.ts";
import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord, str } from "../http-auth.ts";
import { isoTime, minorAmount, requestFor, requireEndpoint } from "./common.ts";
import type { OtaContext } from "./engine.ts";
import { attr, buildXml, child, children, parseXml, rejected, rootOf, text, unexpected, xmlHttpError, type XmlNode } from "./xml.ts";

/**
 * Bookings in the `ycs` dialect of an `opentravel_xml` record: a channel whose ARI
 * goes over OpenTravel messages while its bookings come from a separate XML API of
 * `<request type="…">` / `<result>` documents (Agoda Supply API docs, "Booking
 * Retrieval": GetBookingList, request type 3, and GetBookingDetail, type 4).
 *
 * - The booking list is a time window, not a queue: the bookings of a property
 *   whose last action falls between `from` and `to` (at most 90 days per request,
 *   starting at most 740 days back). A pull asks from where the last pull whose
 *   bookings were all stored ended, less `bookings.overlapMinutes`, or from
 *   `bookings.lookbackMinutes` ago the first time. A booking listed twice is the
 *   same version (its `last_action`), which the hub stores once.
 * - Details: GetBookingDetail for one property and at most 50 booking ids per request.
 * - The API has no acknowledgement request (its documented request types are 1–5,
 *   8 and 9), so pulled bookings are never acknowledged; the window moves on instead.
 * - A refusal is `<result><errors>` holding `<error code description/>` (directly or
 *   per `<property>`), with HTTP 400 / 401 (Agoda Supply API docs, "Error Codes").
 *
 * Record: `bookings.dialect: "ycs"`, `endpoints.bookingList` and `endpoints.bookingDetail`
 * (the same generic endpoint will do: the `type` attribute is always sent; the key
 * usually travels in the endpoint's `query` with `auth: { method: "none" }`), and
 * `bookings.{lookbackMinutes, overlapMinutes, language, statusMap, paymentModelMap, amountAttributes}`.
 */

const XML = "text/xml; charset=utf-8";
const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
/** The documented limits: a window of at most 90 days, starting at most 740 days back; 50 bookings per detail request. */
const MAX_WINDOW = 90 * DAY;
const MAX_LOOKBACK = 740 * DAY;
const DETAILS_PER_REQUEST = 50;
const LIST_TYPE = "3";
const DETAIL_TYPE = "4";

/** The documented booking statuses (Agoda Supply API docs, "Get BookingList Request", `status`). */
const STATUS: Record<string, ChannelBooking["status"]> = { ConfirmBooking: "new", AmendBooking: "modified", CancelBooking: "cancelled" };

const spec = (provider: Provider) => asRecord(provider.config.bookings);

export function usesYcs(provider: Provider): boolean {
  return str(spec(provider).dialect) === "ycs";
}

function minutes(value: unknown, fallback: number): number {
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : fallback;
}

/** A date-time as the API takes it: seconds, with an explicit UTC offset. */
const wire = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+00:00");

/** The windows a pull asks for: from the last stored pull (less the overlap), else the lookback, to now; split at 90 days. */
export function windowsOf(provider: Provider, since: string | undefined, now: number): { from: number; to: number }[] {
  const settings = spec(provider);
  const overlap = minutes(settings.overlapMinutes, 10) * MINUTE;
  const lookback = minutes(settings.lookbackMinutes, 1440) * MINUTE;
  const last = since === undefined ? Number.NaN : Date.parse(since);
  let from = Number.isFinite(last) ? last - overlap : now - lookback;
  from = Math.max(from, now - MAX_LOOKBACK + MINUTE);
  const windows: { from: number; to: number }[] = [];
  while (from < now) {
    const to = Math.min(from + MAX_WINDOW, now);
    windows.push({ from, to });
    from = to;
  }
  return windows.length > 0 ? windows : [{ from: now - overlap, to: now }];
}

/** The errors a `<result>` lists, as one line. */
function errorsOf(root: XmlNode): string | undefined {
  const holder = child(root, "errors");
  if (!holder) return undefined;
  const found = [
    ...children(holder, "error").map((error) => ({ error, property: undefined })),
    ...children(holder, "property").flatMap((property) => children(property, "error").map((error) => ({ error, property: attr(property, "id") }))),
  ];
  if (found.length === 0) return "an <errors> element without errors";
  return found
    .map(({ error, property }) => [attr(error, "code") && `code ${attr(error, "code")}`, attr(error, "description") ?? text(error), property && `(property ${property})`].filter(Boolean).join(" "))
    .join("; ");
}

/** A `<result>` answer, or the error the channel described / the shape it should have had. */
function readResult(response: HttpResponse, who: string, what: string): XmlNode {
  if (response.status >= 400) throw xmlHttpError(response, `${who} (${what})`, errorsOf);
  const root = rootOf(parseXml(response.body, `${who} (${what})`, response.status));
  if (!root) throw unexpected(`${who} (${what})`, "an empty document", response.status);
  if (root.name !== "result") throw unexpected(`${who} (${what})`, `<${root.name}> instead of <result>`, response.status);
  const errors = errorsOf(root.node);
  if (errors) throw rejected(`${who} (${what})`, errors, response.status);
  return root.node;
}

/** The ids of the bookings the list names (details are asked for each). */
async function list(context: OtaContext, window: { from: number; to: number }): Promise<Set<string>> {
  const who = context.provider.name;
  const body = buildXml("request", {
    "@_type": LIST_TYPE,
    "@_timestamp": String(context.ports.clock.now()),
    criteria: { "@_from": wire(window.from), "@_to": wire(window.to), property: { "@_id": context.hotelCode } },
  });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "bookingList", "booking list"), body, XML));
  const root = readResult(response, who, "booking list");
  const properties = child(root, "properties");
  if (!properties) throw unexpected(`${who} (booking list)`, "a <result> without <properties>", response.status);
  const found = new Set<string>();
  for (const property of children(properties, "property")) {
    if (attr(property, "id") !== context.hotelCode) continue;
    for (const booking of children(child(property, "bookings"), "booking")) {
      const id = attr(booking, "booking_id");
      if (!id) throw unexpected(`${who} (booking list)`, "a <booking> without booking_id", response.status);
      found.add(id);
    }
  }
  return found;
}

function paymentModelOf(provider: Provider, booking: XmlNode): PaymentModel {
  const raw = text(child(booking, "paymentmodel")) ?? attr(booking, "paymentmodel") ?? "";
  const mapped = asRecord(spec(provider).paymentModelMap)[raw];
  if (mapped === "hotel_collect" || mapped === "channel_collect" || mapped === "virtual_card") return mapped;
  const configured = asRecord(provider.config.paymentModel).default;
  return configured === "hotel_collect" || configured === "virtual_card" ? configured : "channel_collect";
}

function count(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && Number.isInteger(number) && number >= 0 ? number : undefined;
}

/** One `<booking>` of a detail answer in Sambung's words; a problem (as words) when it cannot be read. */
function bookingOf(provider: Provider, node: XmlNode): ChannelBooking | string {
  const bookingId = attr(node, "booking_id");
  if (!bookingId) return "a <booking> without booking_id";
  const rawStatus = attr(node, "status") ?? "";
  const status = (asRecord(spec(provider).statusMap)[rawStatus] as ChannelBooking["status"] | undefined) ?? STATUS[rawStatus];
  if (status !== "new" && status !== "modified" && status !== "cancelled") return `booking ${bookingId} has status "${rawStatus}", not ConfirmBooking, AmendBooking or CancelBooking`;
  const version = isoTime(attr(node, "last_action"));
  if (!version) return `booking ${bookingId} has no last_action`;
  const arrival = attr(node, "arrival");
  const departure = attr(node, "departure");
  const isDate = (value: string | undefined) => value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value);
  if (!isDate(arrival) || !isDate(departure)) return `booking ${bookingId} has no arrival / departure date`;
  const prices = child(node, "prices");
  const currency = attr(prices, "currency")?.toUpperCase();
  const attributes = Array.isArray(spec(provider).amountAttributes) ? (spec(provider).amountAttributes as unknown[]).map(String) : ["sell_inclusive_amt", "net_inclusive_amt"];
  const rawAmount = attributes.map((name) => attr(prices, name)).find((value) => value !== undefined);
  const amount = currency ? minorAmount(provider, rawAmount, currency) : undefined;
  const customer = child(node, "customer");
  const firstName = attr(customer, "first_name");
  const lastName = attr(customer, "last_name");
  const roomCode = attr(node, "room_id");
  return {
    bookingId,
    version,
    status,
    hotelCode: attr(node, "property_id"),
    confirmationNumber: bookingId,
    createdAt: isoTime(attr(node, "booking_date")),
    arrival: arrival as string,
    departure: departure as string,
    guest: { firstName, lastName, name: [firstName, lastName].filter(Boolean).join(" ") || undefined },
    rooms: roomCode
      ? [{ roomCode, rateCode: attr(node, "rateplan_id"), quantity: Math.max(1, count(attr(node, "room_count")) ?? 1), adults: count(attr(node, "adults")), children: count(attr(node, "children")), amount }]
      : [],
    total: currency && amount !== undefined && /^[A-Z]{3}$/.test(currency) ? { amount, currency } : undefined,
    paymentModel: paymentModelOf(provider, node),
    ack: {},
  };
}

async function details(context: OtaContext, ids: readonly string[]): Promise<ChannelBooking[]> {
  const who = context.provider.name;
  const language = str(spec(context.provider).language) ?? "EN";
  const body = buildXml("request", {
    "@_type": DETAIL_TYPE,
    "@_timestamp": String(context.ports.clock.now()),
    criteria: { "@_language": language, property: { "@_id": context.hotelCode, booking: ids.map((id) => ({ "@_id": id })) } },
  });
  const response = await context.send(requestFor(context, requireEndpoint(context.provider, "bookingDetail", "booking detail"), body, XML));
  const root = readResult(response, who, "booking details");
  const holder = child(root, "bookings");
  if (!holder) throw unexpected(`${who} (booking details)`, "a <result> without <bookings>", response.status);
  return children(holder, "booking").map((node) => {
    const booking = bookingOf(context.provider, node);
    // Unreadable: the pull fails (and its window is asked again) rather than lose the booking.
    if (typeof booking === "string") throw unexpected(`${who} (booking details)`, booking, response.status);
    return booking;
  });
}

/** Every booking of the property whose last action fell in the windows since the last stored pull, with its details. */
export async function pullYcsBookings(context: OtaContext): Promise<ChannelBooking[]> {
  const ids = new Set<string>();
  for (const window of windowsOf(context.provider, context.since, context.ports.clock.now())) {
    for (const id of await list(context, window)) ids.add(id);
  }
  const all = [...ids];
  const out: ChannelBooking[] = [];
  for (let at = 0; at < all.length; at += DETAILS_PER_REQUEST) out.push(...(await details(context, all.slice(at, at + DETAILS_PER_REQUEST))));
  // Details are kept 90 days; a listed booking the detail answer leaves out has nothing more to read.
  return out.filter((booking) => ids.has(booking.bookingId));
}
