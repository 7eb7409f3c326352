import { createHash } from "node:crypto";
import { z } from "zod";
import * as Event from "../event/index.ts";
import { emit } from "../event/publish.ts";
import { NotFoundError } from "../error.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import { adjustAvailability, applyUpdates, claimJob, markDirty } from "./ari-store.ts";
import { dayOf, isoOf } from "./dates.ts";
import { bookingVersionPk, channelPk, connectionSk, reservationPk, reservationSk } from "./keys.ts";
import { ChannelBooking } from "./model.ts";
import { contextFor, engineOf, guardHosts, pushEvent, statusOf, updateStatus } from "./push.ts";
import { codeMap, connectionsOf, getConnection } from "./setup.ts";

/** Booking versions are kept two years (a late duplicate is still recognised). */
const VERSION_TTL_SECONDS = 730 * 86_400;

/** Nights held in the inventory for a reservation: what a modification or cancellation gives back. */
const Hold = z.object({ roomType: z.string(), from: z.string(), to: z.string(), quantity: z.number().int() });
type Hold = z.infer<typeof Hold>;

export const Reservation = z.object({
  id: z.string(),
  tenantId: z.string(),
  locationId: z.string(),
  providerId: z.string(),
  providerSlug: z.string(),
  bookingId: z.string(),
  status: z.enum(["confirmed", "cancelled"]),
  /** The channel version the reservation reflects. */
  version: z.string(),
  booking: ChannelBooking,
  rooms: z.array(z.object({ roomType: z.string().optional(), ratePlan: z.string().optional(), channelRoomCode: z.string(), channelRateCode: z.string().optional(), quantity: z.number().int(), adults: z.number().int().optional(), children: z.number().int().optional(), amount: z.number().int().optional() })),
  holds: z.array(Hold),
  overbooked: z.boolean(),
  /** Every version seen, in arrival order, with the event it raised (none when a later one had already won). */
  history: z.array(z.object({ version: z.string(), status: z.string(), event: z.string().optional(), at: z.string() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Reservation = z.infer<typeof Reservation>;

export interface PullResult {
  pulled: number;
  stored: number;
  duplicates: number;
  acknowledged: boolean;
  /** "not_supported" where the channel's booking API has no acknowledgement (its list is a time window the next pull moves on from). */
  acknowledgement?: "not_supported";
  error?: string;
}

/**
 * Stores one version of a channel booking, once: a conditional put on (channel,
 * booking id, version) whose record is the outbox entry of `channel.booking`.
 * Returns false for a version already stored (a re-delivery).
 */
export async function storeVersion(ports: Ports, provider: ProviderRecord, locationId: string, booking: ChannelBooking, via: "pull" | "push"): Promise<boolean> {
  try {
    await ports.store.put(
      {
        pk: bookingVersionPk(provider.tenantId, provider.id, booking.bookingId),
        sk: booking.version,
        ttl: Math.floor(ports.clock.now() / 1000) + VERSION_TTL_SECONDS,
        data: { booking, locationId, providerId: provider.id, via, receivedAt: new Date(ports.clock.now()).toISOString() },
        outbox: Event.create({ type: "channel.booking", tenantId: provider.tenantId, locationId, data: { locationId, providerId: provider.id, bookingId: booking.bookingId, version: booking.version } }),
      },
      { ifNotExists: true },
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}

/**
 * The scheduled pull for one (channel, property): fetch the waiting bookings,
 * store each version once, then — only after every one is stored — acknowledge
 * them all to the channel (re-deliveries too: the channel sent them again because
 * it never heard our acknowledgement). A channel whose API lists bookings by time
 * instead is asked from where the last fully stored pull began.
 */
export async function pull(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<PullResult> {
  const none: PullResult = { pulled: 0, stored: 0, duplicates: 0, acknowledged: false };
  let provider: ProviderRecord;
  try {
    provider = await Provider.get(ports, tenantId, providerId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    // The provider was deleted: its connection goes with it, so the schedule stops asking.
    await ports.store.delete(channelPk(tenantId), connectionSk(locationId, providerId));
    return none;
  }
  const engine = engineOf(provider);
  const connection = await getConnection(ports, tenantId, locationId, providerId);
  if (!provider.active || !engine || !connection) return none;
  const startedAt = new Date(ports.clock.now()).toISOString();
  const since = (await statusOf(ports, tenantId, locationId, providerId)).pulledThrough;
  let bookings: ChannelBooking[];
  try {
    await guardHosts(ports, provider);
    bookings = (
      await Resilience.callProvider(ports, provider, {
        action: "bookings.pull",
        idempotent: true,
        run: async (current, attempt) => engine.pullBookings(await contextFor(ports, current, connection, attempt, since)),
      })
    ).value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await updateStatus(ports, tenantId, locationId, providerId, (current) => ({ ...current, lastPullAt: new Date(ports.clock.now()).toISOString(), lastPullError: message }));
    // The channel keeps its bookings queued (or the window is asked again); the next scheduled pull asks again.
    return { ...none, error: message };
  }
  const ours = bookings.filter((booking) => !booking.hotelCode || booking.hotelCode === connection.hotelCode);
  let stored = 0;
  for (const booking of ours) if (await storeVersion(ports, provider, locationId, booking, "pull")) stored += 1;
  await updateStatus(ports, tenantId, locationId, providerId, (current) => ({ ...current, lastPullAt: new Date(ports.clock.now()).toISOString(), lastPullError: undefined, pulledThrough: startedAt }));
  const result: PullResult = { pulled: ours.length, stored, duplicates: ours.length - stored, acknowledged: false };
  if (engine.acknowledges?.(provider) === false) return { ...result, acknowledgement: "not_supported" };
  if (ours.length === 0) return result;
  try {
    await Resilience.callProvider(ports, provider, {
      action: "bookings.acknowledge",
      idempotent: true,
      request: { bookings: ours.map((booking) => booking.bookingId) },
      run: async (current, attempt) => engine.acknowledge(await contextFor(ports, current, connection, attempt), ours),
    });
    result.acknowledged = true;
  } catch (error) {
    // Stored already: the channel keeps them queued and the next pull acknowledges them.
    result.error = error instanceof Error ? error.message : String(error);
  }
  return result;
}

const eventId = (providerId: string, bookingId: string, version: string, type: string) =>
  `evt_res_${createHash("sha256").update(`${providerId}\u0000${bookingId}\u0000${version}\u0000${type}`).digest("hex").slice(0, 32)}`;

function nightsOf(booking: ChannelBooking): number[] {
  const nights: number[] = [];
  for (let day = dayOf(booking.arrival); day < dayOf(booking.departure); day += 1) nights.push(day);
  return nights;
}

function holdsOf(reservation: Pick<Reservation, "status" | "rooms" | "booking">): Hold[] {
  if (reservation.status !== "confirmed") return [];
  const nights = nightsOf(reservation.booking);
  if (nights.length === 0) return [];
  const byRoom = new Map<string, number>();
  for (const room of reservation.rooms) if (room.roomType) byRoom.set(room.roomType, (byRoom.get(room.roomType) ?? 0) + room.quantity);
  return [...byRoom].map(([roomType, quantity]) => ({ roomType, from: reservation.booking.arrival, to: isoOf(dayOf(reservation.booking.departure) - 1), quantity }));
}

function daysOf(hold: Hold): number[] {
  const days: number[] = [];
  for (let day = dayOf(hold.from); day <= dayOf(hold.to); day += 1) days.push(day);
  return days;
}

function eventData(reservation: Reservation, provider: ProviderRecord) {
  const booking = reservation.booking;
  return {
    reservationId: `${provider.slug}:${booking.bookingId}`,
    confirmationNumber: booking.confirmationNumber,
    status: reservation.status,
    locationId: reservation.locationId,
    channel: { providerId: provider.id, slug: provider.slug, name: provider.name, format: provider.apiFormat, bookingId: booking.bookingId, version: booking.version, hotelCode: booking.hotelCode },
    arrival: booking.arrival,
    departure: booking.departure,
    guest: booking.guest,
    rooms: reservation.rooms,
    total: booking.total,
    paymentModel: booking.paymentModel,
    overbooked: reservation.overbooked,
  };
}

type Transition = { next: Reservation; event?: "reservation.created" | "reservation.modified" | "reservation.cancelled" };

/**
 * Forward-only rules: a cancellation wins whenever it arrives (a reservation ends
 * cancelled whatever order the channel's messages come in); a modification applies
 * only when its version is newer than the one held; nothing reopens a cancelled one.
 */
function transition(current: Reservation | undefined, base: Omit<Reservation, "history" | "holds" | "overbooked" | "createdAt">, at: string): Transition {
  const status = base.booking.status === "cancelled" ? "cancelled" : "confirmed";
  const entry = (event?: Transition["event"]) => ({ version: base.version, status: base.booking.status, event, at });
  if (!current) {
    const event = status === "cancelled" ? "reservation.cancelled" : "reservation.created";
    return { next: { ...base, status, holds: [], overbooked: false, history: [entry(event)], createdAt: at }, event };
  }
  const history = [...current.history];
  if (current.status === "cancelled") return { next: { ...current, history: [...history, entry()], updatedAt: at } };
  if (status === "cancelled") {
    const newer = base.version > current.version;
    return { next: { ...current, status, version: newer ? base.version : current.version, booking: newer ? base.booking : { ...current.booking, status: "cancelled" }, history: [...history, entry("reservation.cancelled")], updatedAt: at }, event: "reservation.cancelled" };
  }
  if (base.version <= current.version) return { next: { ...current, history: [...history, entry()], updatedAt: at } };
  return { next: { ...current, ...base, status, holds: current.holds, overbooked: current.overbooked, history: [...history, entry("reservation.modified")], createdAt: current.createdAt, updatedAt: at }, event: "reservation.modified" };
}

/**
 * The channel worker's step for one stored booking version: apply it to the
 * reservation (forward rules), move the inventory it holds, flag an overbooking
 * (availability already 0 on a night) and close that room type on every other channel,
 * then raise reservation.created / modified / cancelled (ids derived from the
 * version, so a retried step raises nothing twice).
 */
export async function applyVersion(ports: Ports, tenantId: string, providerId: string, bookingId: string, version: string): Promise<void> {
  const stored = await ports.store.get(bookingVersionPk(tenantId, providerId, bookingId), version);
  if (!stored) return;
  const booking = ChannelBooking.parse(stored.data.booking);
  const locationId = String(stored.data.locationId);
  const provider = await Provider.get(ports, tenantId, providerId);
  const connection = await getConnection(ports, tenantId, locationId, providerId);
  const codes = connection ? codeMap(connection) : undefined;
  const rooms = booking.rooms.map((room) => {
    const ours = codes?.fromChannel(room.roomCode, room.rateCode) ?? {};
    return { roomType: ours.roomType, ratePlan: ours.ratePlan, channelRoomCode: room.roomCode, channelRateCode: room.rateCode, quantity: room.quantity, adults: room.adults, children: room.children, amount: room.amount };
  });
  const pk = reservationPk(tenantId);
  const sk = reservationSk(providerId, bookingId);
  const at = new Date(ports.clock.now()).toISOString();

  let applied: { reservation: Reservation; event?: Transition["event"]; release: Hold[]; take: Hold[] } | undefined;
  for (;;) {
    const item = await ports.store.get(pk, sk);
    const current = item ? Reservation.parse(item.data) : undefined;
    const seen = current?.history.find((entry) => entry.version === version);
    if (current && seen) {
      // Applied before (a retried message): only make sure its event left.
      applied = { reservation: current, event: seen.event as Transition["event"], release: [], take: [] };
      break;
    }
    const base = { id: `${provider.slug}:${bookingId}`, tenantId, locationId, providerId, providerSlug: provider.slug, bookingId, status: "confirmed" as const, version, booking, rooms, updatedAt: at };
    const { next, event } = transition(current, base, at);
    // A booking whose rooms or dates changed holds different nights: give back the old, take the new.
    const release = event && event !== "reservation.created" ? next.holds : [];
    const holds = holdsOf(next);
    const take = event && event !== "reservation.cancelled" ? holds : [];
    const reservation = Reservation.parse({ ...next, holds: event ? holds : next.holds });
    try {
      await ports.store.put({ pk, sk, data: reservation }, item ? { ifVersion: item.version } : { ifNotExists: true });
      applied = { reservation, event, release, take };
      break;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  const { reservation, event, release, take } = applied;
  const touched: { key: string; rev: number }[] = [];
  for (const hold of release) touched.push(...(await adjustAvailability(ports, tenantId, locationId, hold.roomType, daysOf(hold), hold.quantity)).changed);
  const full: { roomType: string; days: number[] }[] = [];
  for (const hold of take) {
    const result = await adjustAvailability(ports, tenantId, locationId, hold.roomType, daysOf(hold), -hold.quantity);
    touched.push(...result.changed);
    const days = daysOf(hold).filter((day) => {
      const before = result.before.get(day);
      return before !== undefined && before < hold.quantity;
    });
    if (days.length > 0) full.push({ roomType: hold.roomType, days });
  }
  const connections = (await connectionsOf(ports, tenantId, locationId)).map((entry) => entry.providerId);
  if (touched.length > 0) await markDirty(ports, tenantId, locationId, connections, touched);
  let final = reservation;
  if (full.length > 0) {
    // Overbooked: stop selling that room type on those nights everywhere else at once; the channel that sold it keeps its own closure state.
    const closes = full.flatMap(({ roomType, days }) => runs(days).map(([from, to]) => ({ roomType, from: isoOf(from), to: isoOf(to), closed: true })));
    const closed = await applyUpdates(ports, tenantId, locationId, closes, { sparing: providerId });
    await markDirty(ports, tenantId, locationId, connections.filter((id) => id !== providerId), closed);
    final = await markOverbooked(ports, pk, sk);
    for (const { roomType, days } of full) {
      await emit(
        ports,
        Event.create({
          type: "reservation.overbooked",
          tenantId,
          locationId,
          id: eventId(providerId, bookingId, version, `overbooked:${roomType}`),
          data: { ...eventData(final, provider), roomTypeId: roomType, date: isoOf(days[0] ?? 0), nights: days.map(isoOf), closedOn: connections.filter((id) => id !== providerId) },
        }),
      );
    }
  }
  if (touched.length > 0 || full.length > 0) await claimJob(ports, tenantId, locationId, pushEvent(tenantId, locationId));
  if (event) await emit(ports, Event.create({ type: event, tenantId, locationId, id: eventId(providerId, bookingId, version, event), data: eventData(final, provider) }));
}

async function markOverbooked(ports: Ports, pk: string, sk: string): Promise<Reservation> {
  for (;;) {
    const item = await ports.store.get(pk, sk);
    const reservation = Reservation.parse(item?.data);
    const next = { ...reservation, overbooked: true };
    try {
      await ports.store.put({ pk, sk, data: next }, { ifVersion: item?.version });
      return next;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

/** Consecutive day numbers as [from, to] runs. */
function runs(days: readonly number[]): [number, number][] {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const day of sorted) {
    const last = out.at(-1);
    if (last && last[1] === day - 1) last[1] = day;
    else out.push([day, day]);
  }
  return out;
}

export async function listReservations(ports: Ports, tenantId: string, options: { locationId?: string; cursor?: string; limit?: number } = {}) {
  const page = await ports.store.query(reservationPk(tenantId), { cursor: options.cursor, limit: options.limit ?? 100 });
  const items = page.items.map((item) => Reservation.parse(item.data)).filter((reservation) => !options.locationId || reservation.locationId === options.locationId);
  return { items, cursor: page.cursor };
}

export async function getReservation(ports: Ports, tenantId: string, providerId: string, bookingId: string): Promise<Reservation | undefined> {
  const item = await ports.store.get(reservationPk(tenantId), reservationSk(providerId, bookingId));
  return item ? Reservation.parse(item.data) : undefined;
}
