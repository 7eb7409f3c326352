import { z } from "zod";
import { dayAt, dayOf, isIsoDate, WEEKDAYS } from "./dates.ts";

/** Our codes for room types and rate plans: safe inside store keys (no "#"). */
export const Code = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "1–64 letters, digits, _ . : - (starting with a letter or digit)");

/** A channel's own code for a room, rate plan or property (anything printable). */
export const ChannelCode = z.string().trim().min(1).max(100);

const Currency = z.string().regex(/^[A-Z]{3}$/, "a 3-letter ISO 4217 code in capitals, e.g. IDR");
const IsoDate = z.string().refine(isIsoDate, "a calendar date as YYYY-MM-DD");

// ---------------------------------------------------------------- room types and rate plans

export const RatePlan = z.object({ id: Code, name: z.string().trim().min(1).max(120) });
export const RoomType = z.object({
  id: Code,
  name: z.string().trim().min(1).max(120),
  ratePlans: z.array(RatePlan).max(50).default([]),
});
export type RoomType = z.infer<typeof RoomType>;

/** The property's room types and rate plans (what the PMS's ARI updates refer to). */
export const RoomSetup = z
  .object({
    locationId: z.string().min(1),
    /** Currency of rates sent without one. */
    currency: Currency.optional(),
    roomTypes: z.array(RoomType).max(200),
  })
  .superRefine((setup, ctx) => {
    const seen = new Set<string>();
    setup.roomTypes.forEach((room, index) => {
      if (seen.has(room.id)) ctx.addIssue({ code: "custom", path: ["roomTypes", index, "id"], message: `room type ${room.id} is listed twice` });
      seen.add(room.id);
      const rates = new Set<string>();
      room.ratePlans.forEach((plan, planIndex) => {
        if (rates.has(plan.id)) ctx.addIssue({ code: "custom", path: ["roomTypes", index, "ratePlans", planIndex, "id"], message: `rate plan ${plan.id} is listed twice for ${room.id}` });
        rates.add(plan.id);
      });
    });
  });
export type RoomSetup = z.infer<typeof RoomSetup>;

// ---------------------------------------------------------------- channel connection (mapping)

export const RoomMapping = z.object({
  roomType: Code,
  /** The channel's code for this room type (InvTypeCode, EQC RoomType id, ...). */
  code: ChannelCode,
  ratePlans: z.array(z.object({ ratePlan: Code, code: ChannelCode })).max(50).default([]),
});

export const PutMapping = z.object({
  /** Required unless the provider belongs to one location. */
  locationId: z.string().min(1).optional(),
  /** The property's id on the channel (Booking.com hotel id, Expedia hotel id). */
  hotelCode: ChannelCode,
  rooms: z.array(RoomMapping).max(200),
});
export type PutMapping = z.input<typeof PutMapping>;

export const Connection = z.object({
  tenantId: z.string(),
  locationId: z.string(),
  providerId: z.string(),
  hotelCode: z.string(),
  rooms: z.array(RoomMapping),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type Connection = z.infer<typeof Connection>;

// ---------------------------------------------------------------- ARI

/** Every value a (room, rate, date) can hold. Room-level cells use `available` and `closed` only. */
export const FIELDS = ["available", "closed", "rate", "currency", "minLos", "maxLos", "closedToArrival", "closedToDeparture"] as const;
export type Field = (typeof FIELDS)[number];
export type Cell = Partial<{
  available: number;
  closed: boolean;
  rate: number;
  currency: string;
  minLos: number;
  maxLos: number;
  closedToArrival: boolean;
  closedToDeparture: boolean;
}>;

export const ROOM_FIELDS: readonly Field[] = ["available", "closed"];
export const RATE_FIELDS: readonly Field[] = ["rate", "currency", "minLos", "maxLos", "closed", "closedToArrival", "closedToDeparture"];

/** How far ahead channels take ARI (Expedia: two years). */
export const MAX_DAYS_AHEAD = 731;

export const AriUpdate = z
  .object({
    roomType: Code,
    /** Absent: the room type's own availability and closure. Present: that rate plan's rate and restrictions. */
    ratePlan: Code.optional(),
    from: IsoDate,
    to: IsoDate,
    /** Only these weekdays within from..to. */
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
    available: z.number().int().min(0).max(9999).optional(),
    /** In the currency's minor unit (IDR whole rupiah, USD cents), as an integer. */
    rate: z.number().int("rates are integers in the currency's minor unit (e.g. 150000 for Rp 150.000, 12550 for USD 125.50)").min(0).max(1e12).optional(),
    currency: Currency.optional(),
    minLos: z.number().int().min(1).max(365).optional(),
    maxLos: z.number().int().min(1).max(365).optional(),
    closed: z.boolean().optional(),
    closedToArrival: z.boolean().optional(),
    closedToDeparture: z.boolean().optional(),
  })
  .strict()
  .superRefine((update, ctx) => {
    if (isIsoDate(update.from) && isIsoDate(update.to)) {
      const span = dayOf(update.to) - dayOf(update.from);
      if (span < 0) ctx.addIssue({ code: "custom", path: ["to"], message: `to (${update.to}) is before from (${update.from})` });
      if (span > MAX_DAYS_AHEAD) ctx.addIssue({ code: "custom", path: ["to"], message: "one update covers at most two years; split it" });
    }
    const values = FIELDS.filter((field) => update[field] !== undefined);
    if (values.length === 0) ctx.addIssue({ code: "custom", path: [], message: `send at least one of ${FIELDS.join(", ")}` });
    if (update.ratePlan === undefined) {
      const rateOnly = values.filter((field) => !ROOM_FIELDS.includes(field));
      if (rateOnly.length > 0) {
        ctx.addIssue({ code: "custom", path: ["ratePlan"], message: `${rateOnly.join(", ")} belong to a rate plan: add ratePlan` });
      }
    } else if (update.available !== undefined) {
      ctx.addIssue({ code: "custom", path: ["available"], message: "availability is per room type: send it in an update without ratePlan" });
    }
    if (update.minLos !== undefined && update.maxLos !== undefined && update.maxLos < update.minLos) {
      ctx.addIssue({ code: "custom", path: ["maxLos"], message: "maxLos is below minLos" });
    }
  });
export type AriUpdate = z.infer<typeof AriUpdate>;

export const MAX_UPDATES_PER_REQUEST = 2000;

export const AriRequest = z.object({
  locationId: z.string().min(1).optional(),
  updates: z.array(AriUpdate).min(1).max(MAX_UPDATES_PER_REQUEST, `at most ${MAX_UPDATES_PER_REQUEST} updates per request; send the rest in another`),
});
export type AriRequest = z.input<typeof AriRequest>;

/** Dates in the past (a day of slack for time zones) or beyond two years are refused. */
export function dateWindowProblem(update: AriUpdate, nowMs: number): string | undefined {
  const today = dayAt(nowMs);
  if (dayOf(update.from) < today - 1) return `from (${update.from}) is in the past`;
  if (dayOf(update.to) > today + MAX_DAYS_AHEAD) return `to (${update.to}) is more than two years ahead`;
  return undefined;
}

// ---------------------------------------------------------------- bookings

export const PaymentModel = z.enum(["hotel_collect", "channel_collect", "virtual_card"]);
export type PaymentModel = z.infer<typeof PaymentModel>;

/** A booking as a channel sent it, in Sambung's words (format engines produce these). */
export const ChannelBooking = z.object({
  bookingId: z.string().min(1).max(200),
  /**
   * Orders the channel's versions of one booking: the channel's last-modified time
   * (ISO) or its revision number, zero-padded by the engine so it sorts as text.
   */
  version: z.string().min(1).max(100),
  status: z.enum(["new", "modified", "cancelled"]),
  hotelCode: z.string().optional(),
  confirmationNumber: z.string().optional(),
  createdAt: z.string().optional(),
  arrival: IsoDate,
  departure: IsoDate,
  guest: z.object({
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    name: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
  }),
  rooms: z
    .array(
      z.object({
        roomCode: z.string(),
        rateCode: z.string().optional(),
        quantity: z.number().int().min(1).default(1),
        adults: z.number().int().min(0).optional(),
        children: z.number().int().min(0).optional(),
        /** Minor units. */
        amount: z.number().int().optional(),
      }),
    )
    .min(0),
  total: z.object({ amount: z.number().int(), currency: Currency }).optional(),
  paymentModel: PaymentModel,
  /** What the engine needs to acknowledge this booking (EQC bookingType, OTA message kind). */
  ack: z.record(z.string(), z.string()).default({}),
});
export type ChannelBooking = z.infer<typeof ChannelBooking>;
