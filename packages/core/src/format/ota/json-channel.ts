import type { Facet } from "../../channel/coalesce.ts";
import { ChannelBooking, PaymentModel } from "../../channel/model.ts";
import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord, jsonOf, renderValue, str } from "../http-auth.ts";
import { toVendor } from "../payment/currency.ts";
import { describePaths, firstPresent, scalar, valueAtPath } from "../path.ts";
import { hashOf, isoTime, minorAmount, requestFor, requireEndpoint, endpointOf } from "./common.ts";
import type { ChannelRoom, MappedItem, OtaContext, OtaEngine, PushedBookings } from "./engine.ts";
import { ProviderError } from "../../resilience/errors.ts";
import { excerpt, httpError, rejected, unexpected } from "./xml.ts";

/**
 * `json_rest_channel`: channels with JSON APIs (Traveloka, Tiket.com style), driven
 * entirely by the record, so a new channel is data:
 *
 * - `endpoints.ari` — its body template holds `{{items}}`: the message's items, each
 *   rendered with `ari.item` (or `ari.roomItem` / `ari.rateItem`) from `{{item.roomCode}}`,
 *   `{{item.rateCode}}`, `{{item.from}}`, `{{item.to}}`, `{{item.available}}`, `{{item.closed}}`,
 *   `{{item.rate}}` (major units, or minor when `amount.unit` is "minor"), `{{item.currency}}`,
 *   `{{item.minLos}}`, `{{item.maxLos}}`, `{{item.closedToArrival}}`, `{{item.closedToDeparture}}`.
 *   `ari.okPath` / `ari.okValues` where the channel answers 200 with a failure flag.
 * - `endpoints.bookings` + `bookings.{listPath,id,version,status,statusMap,arrival,departure,hotelCode,
 *   confirmationNumber,guest.{firstName,lastName,name,email,phone},rooms,room.{code,rate,quantity,adults,children,amount},
 *   total,currency,paymentModel,paymentModelMap}` — dot paths (../path.ts).
 * - `endpoints.acknowledge` — body template with `{{acks}}`, each from `acknowledge.item`
 *   (`{{booking.bookingId}}`, `{{booking.ack.revision}}` — the version as the channel wrote it, `{{booking.status}}`).
 * - `endpoints.rooms` + `rooms.{listPath,code,name,ratePlans,ratePlan.{code,name}}`, optional.
 * - `errors.messagePath` — where the channel puts its error text.
 */

const JSON_TYPE = "application/json";

const facets: readonly Facet[] = [
  { name: "room", level: "room", fields: ["available", "closed"], kind: "ari" },
  { name: "rate", level: "rate", fields: ["rate", "currency", "closed", "minLos", "maxLos", "closedToArrival", "closedToDeparture"], kind: "ari" },
];

const section = (provider: Provider, name: string) => asRecord(provider.config[name]);

function errorText(provider: Provider, json: unknown): string | undefined {
  const paths = section(provider, "errors").messagePath ?? ["error.message", "errors[0].message", "message", "error"];
  return scalar(firstPresent(json, paths).value);
}

/** A 2xx JSON answer, or the error the channel described. */
function readJson(provider: Provider, response: HttpResponse, who: string): unknown {
  const json = jsonOf(response);
  if (response.status >= 400) throw httpError(response, who, errorText(provider, json) ?? (json === undefined ? excerpt(response.body) : undefined));
  if (json === undefined && response.body.trim() !== "") throw unexpected(who, `a body that is not JSON: ${excerpt(response.body)}`, response.status);
  return json;
}

function itemVars(provider: Provider, item: MappedItem): Record<string, unknown> {
  const values = item.values;
  const amount = values.rate !== undefined && values.currency ? toVendor(provider, values.rate, values.currency) : undefined;
  const unit = asRecord(provider.config.amount).unit === "minor" ? "minor" : "major";
  return {
    level: item.rateCode === undefined ? "room" : "rate",
    roomCode: item.roomCode,
    rateCode: item.rateCode,
    from: item.from,
    to: item.to,
    ...values,
    rate: amount ? (unit === "minor" ? amount.minor : amount.major) : undefined,
  };
}

async function sendAri(context: OtaContext, _kind: string, items: readonly MappedItem[]): Promise<void> {
  const provider = context.provider;
  const ari = section(provider, "ari");
  const rendered = items.map((item) => {
    const template = (item.rateCode === undefined ? ari.roomItem : ari.rateItem) ?? ari.item;
    if (template === undefined) throw new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: config.ari.item is missing; the record needs the channel's ARI item template` });
    return renderValue(template, { item: itemVars(provider, item), connection: { hotelCode: context.hotelCode }, config: provider.config });
  });
  const endpoint = requireEndpoint(provider, "ari", "ARI");
  const body = JSON.stringify(renderValue(endpoint.body ?? { items: "{{items}}" }, { items: rendered, connection: { hotelCode: context.hotelCode }, config: provider.config }));
  const response = await context.send(requestFor(context, endpoint, body, JSON_TYPE));
  const json = readJson(provider, response, provider.name);
  if (ari.okPath !== undefined) {
    const ok = valueAtPath(json, String(ari.okPath));
    const accepted = Array.isArray(ari.okValues) ? ari.okValues : [true];
    if (!accepted.some((value) => value === ok)) throw rejected(provider.name, errorText(provider, json) ?? `${String(ari.okPath)} was ${JSON.stringify(ok)}`, response.status);
  }
}

function versionOf(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(Math.trunc(value)).padStart(20, "0");
  const text = scalar(value);
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return text.padStart(20, "0");
  return isoTime(text) ?? text;
}

function bookingOf(provider: Provider, raw: unknown): ChannelBooking | undefined {
  const spec = section(provider, "bookings");
  const get = (key: string) => (spec[key] === undefined ? undefined : firstPresent(raw, spec[key]).value);
  const bookingId = scalar(get("id"));
  if (!bookingId) return undefined;
  const statusMap = asRecord(spec.statusMap);
  const rawStatus = scalar(get("status")) ?? "";
  const status = (statusMap[rawStatus] ?? rawStatus.toLowerCase()) as string;
  if (status !== "new" && status !== "modified" && status !== "cancelled") return undefined;
  const currency = scalar(get("currency"))?.toUpperCase();
  const guestSpec = asRecord(spec.guest);
  const guest = (key: string) => (guestSpec[key] === undefined ? undefined : scalar(firstPresent(raw, guestSpec[key]).value));
  const roomSpec = asRecord(spec.room);
  const roomField = (room: unknown, key: string) => (roomSpec[key] === undefined ? undefined : firstPresent(room, roomSpec[key]).value);
  const roomsRaw = get("rooms");
  const rooms = (Array.isArray(roomsRaw) ? roomsRaw : roomsRaw === undefined ? [] : [roomsRaw]).flatMap((room) => {
    const roomCode = scalar(roomField(room, "code"));
    if (!roomCode) return [];
    const count = (key: string) => {
      const value = Number(scalar(roomField(room, key)));
      return Number.isInteger(value) && value >= 0 ? value : undefined;
    };
    return [{ roomCode, rateCode: scalar(roomField(room, "rate")), quantity: Math.max(1, count("quantity") ?? 1), adults: count("adults"), children: count("children"), amount: currency ? minorAmount(provider, roomField(room, "amount"), currency) : undefined }];
  });
  const paymentMap = asRecord(spec.paymentModelMap);
  const paymentRaw = scalar(get("paymentModel")) ?? "";
  const payment = PaymentModel.safeParse(paymentMap[paymentRaw] ?? paymentRaw);
  const amount = currency ? minorAmount(provider, get("total"), currency) : undefined;
  const parsed = ChannelBooking.safeParse({
    bookingId,
    version: versionOf(get("version")) ?? `0000-${status === "new" ? 1 : status === "modified" ? 2 : 3}`,
    status,
    hotelCode: scalar(get("hotelCode")),
    confirmationNumber: scalar(get("confirmationNumber")),
    createdAt: isoTime(scalar(get("createdAt"))),
    arrival: scalar(get("arrival"))?.slice(0, 10),
    departure: scalar(get("departure"))?.slice(0, 10),
    guest: { firstName: guest("firstName"), lastName: guest("lastName"), name: guest("name") ?? ([guest("firstName"), guest("lastName")].filter(Boolean).join(" ") || undefined), email: guest("email"), phone: guest("phone") },
    rooms,
    total: currency && amount !== undefined ? { amount, currency } : undefined,
    paymentModel: payment.success ? payment.data : "channel_collect",
    // The channel's own revision, as its acknowledgement expects it back.
    ack: { revision: scalar(get("version")) ?? "" },
  });
  return parsed.success ? parsed.data : undefined;
}

function bookingsIn(provider: Provider, json: unknown, who: string, listPath: unknown): ChannelBooking[] {
  const list = listPath === undefined ? json : firstPresent(json, listPath).value;
  if (!Array.isArray(list)) throw unexpected(who, `no list of bookings at ${describePaths(listPath ?? "(the body)")}`);
  return list.map((raw) => bookingOf(provider, raw)).filter((booking): booking is ChannelBooking => booking !== undefined);
}

async function pullBookings(context: OtaContext): Promise<ChannelBooking[]> {
  const provider = context.provider;
  const response = await context.send(requestFor(context, requireEndpoint(provider, "bookings", "booking list"), undefined, JSON_TYPE));
  const json = readJson(provider, response, provider.name);
  return bookingsIn(provider, json, provider.name, section(provider, "bookings").listPath);
}

async function acknowledge(context: OtaContext, bookings: readonly ChannelBooking[]): Promise<void> {
  if (bookings.length === 0) return;
  const provider = context.provider;
  const endpoint = requireEndpoint(provider, "acknowledge", "booking acknowledgement");
  const template = section(provider, "acknowledge").item ?? { id: "{{booking.bookingId}}" };
  const acks = bookings.map((booking) => renderValue(template, { booking, connection: { hotelCode: context.hotelCode } }));
  const body = JSON.stringify(renderValue(endpoint.body ?? { acks: "{{acks}}" }, { acks, connection: { hotelCode: context.hotelCode }, config: provider.config }));
  const response = await context.send(requestFor(context, endpoint, body, JSON_TYPE));
  readJson(provider, response, provider.name);
}

async function listRooms(context: OtaContext): Promise<ChannelRoom[]> {
  const provider = context.provider;
  const endpoint = endpointOf(provider, "rooms");
  if (!endpoint) throw new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: the record has no config.endpoints.rooms, so the channel's room list cannot be read` });
  const spec = section(provider, "rooms");
  const json = readJson(provider, await context.send(requestFor(context, endpoint, undefined, JSON_TYPE)), provider.name);
  const list = spec.listPath === undefined ? json : firstPresent(json, spec.listPath).value;
  if (!Array.isArray(list)) throw unexpected(provider.name, `no list of rooms at ${describePaths(spec.listPath ?? "(the body)")}`);
  const planSpec = asRecord(spec.ratePlan);
  return list.map((room) => {
    const plans = spec.ratePlans === undefined ? [] : firstPresent(room, spec.ratePlans).value;
    return {
      code: scalar(firstPresent(room, spec.code ?? "id").value) ?? "",
      name: scalar(firstPresent(room, spec.name ?? "name").value),
      ratePlans: (Array.isArray(plans) ? plans : []).map((plan) => ({ code: scalar(firstPresent(plan, planSpec.code ?? "id").value) ?? "", name: scalar(firstPresent(plan, planSpec.name ?? "name").value) })),
    };
  });
}

function parsePush(provider: Provider, body: string): PushedBookings {
  const json = jsonOf({ body });
  if (json === undefined) throw unexpected(provider.name, `a pushed body that is not JSON: ${excerpt(body)}`);
  const webhook = section(provider, "webhook");
  const eventId = webhook.eventIdPath === undefined ? undefined : scalar(firstPresent(json, webhook.eventIdPath).value);
  const listPath = webhook.listPath ?? section(provider, "bookings").listPath;
  const single = webhook.single === true || (str(webhook.single) === "true");
  return { eventId: eventId ? `id:${eventId}` : `sha:${hashOf(body)}`, bookings: single ? [bookingOf(provider, json)].filter((booking): booking is ChannelBooking => booking !== undefined) : bookingsIn(provider, json, provider.name, listPath) };
}

export const jsonRestChannel: OtaEngine = {
  facets,
  defaultItemsPerMessage: 100,
  sendAri,
  pullBookings,
  acknowledge,
  parsePush,
  listRooms,
};
