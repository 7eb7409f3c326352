import * as Event from "../event/index.ts";
import { processWith } from "../inbound/stored.ts";
import { ForbiddenError, InvalidInputError } from "../error.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Principal } from "../tenant/model.ts";
import * as Resilience from "../resilience/index.ts";
import { allChunkKeys, applyUpdates, claimJob, dropJobClaim, markDirty } from "./ari-store.ts";
import { applyVersion, listReservations, pull, storeVersion } from "./bookings.ts";
import { dayOf, WEEKDAYS, weekdayOf } from "./dates.ts";
import { AriRequest, dateWindowProblem, type AriUpdate, type PutMapping } from "./model.ts";
import { CHANNEL_QUEUE, contextFor, dirtyCount, engineOf, guardHosts, pushChannel, pushEvent, statusOf, takeRetry } from "./push.ts";
import { allConnections, connectionsOf, tenantConnections, getConnection, getMapping, getRooms, otaProvider, putMapping as saveMapping } from "./setup.ts";

/**
 * The OTA channel manager: the property's ARI (availability, rates,
 * restrictions) kept in step on every channel, and every channel booking
 * brought home once. See keys.ts for the store layout, push.ts for the
 * coalescing push, bookings.ts for pulls, acknowledgements and the forward rules.
 */
export { AriRequest, AriUpdate, PutMapping, RoomSetup, ChannelBooking } from "./model.ts";
export { ParityQuery, parity, RATE_SHOPPER_FEATURE } from "./parity.ts";
export { getReservation, listReservations, pull, Reservation, storeVersion } from "./bookings.ts";
export { getMapping, getRooms, putRooms, connectionsOf } from "./setup.ts";
export { CHANNEL_QUEUE, statusOf, type ChannelStatus } from "./push.ts";

export interface AriAccepted {
  locationId: string;
  updates: number;
  /** Date-level values stored (an update over 30 days is 30). */
  dates: number;
  /** Month chunks whose state changed. */
  changedChunks: number;
  /** Channels that will receive the change. */
  channels: number;
}

function datesOf(update: AriUpdate): number {
  const from = dayOf(update.from);
  const to = dayOf(update.to);
  if (!update.days) return to - from + 1;
  const wanted = new Set(update.days.map((name) => WEEKDAYS.indexOf(name)));
  let count = 0;
  for (let day = from; day <= to; day += 1) if (wanted.has(weekdayOf(day))) count += 1;
  return count;
}

/**
 * `PUT /api/v1/ari`: validates against the location's room setup, stores the
 * latest state, marks every channel of the location dirty, and queues one
 * coalescing push for the location (a burst of calls yields one job).
 */
export async function putAri(ports: Ports, principal: Principal, input: AriRequest): Promise<AriAccepted> {
  const parsed = AriRequest.parse(input);
  let locationId = parsed.locationId;
  if (principal.kind === "apiKey" && principal.locationId) {
    if (locationId && locationId !== principal.locationId) throw new ForbiddenError(`this API key is bound to location ${principal.locationId}; it cannot update ${locationId}`);
    locationId = principal.locationId;
  }
  if (!locationId) throw new InvalidInputError("locationId: say which property these updates are for");
  const setup = await getRooms(ports, principal.tenantId, locationId);
  const problems: { path: string; message: string }[] = [];
  const updates = parsed.updates.map((update, index) => {
    const at = `updates.${index}`;
    const room = setup.roomTypes.find((candidate) => candidate.id === update.roomType);
    if (!room) {
      problems.push({ path: `${at}.roomType`, message: `${update.roomType} is not a room type of this location (add it under Channels → Rooms)` });
      return update;
    }
    if (update.ratePlan !== undefined && !room.ratePlans.some((plan) => plan.id === update.ratePlan)) {
      problems.push({ path: `${at}.ratePlan`, message: `${update.ratePlan} is not a rate plan of ${room.id}` });
    }
    const window = dateWindowProblem(update, ports.clock.now());
    if (window) problems.push({ path: `${at}.from`, message: window });
    if (update.rate !== undefined && update.currency === undefined) {
      if (!setup.currency) problems.push({ path: `${at}.currency`, message: "give the rate's currency (or set the location's currency in its room setup)" });
      return { ...update, currency: setup.currency };
    }
    return update;
  });
  if (problems.length > 0) {
    throw new InvalidInputError(`fix these updates: ${problems.slice(0, 10).map((problem) => `${problem.path}: ${problem.message}`).join("; ")}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ""}`, { issues: problems });
  }
  const changed = await applyUpdates(ports, principal.tenantId, locationId, updates);
  const connections = await connectionsOf(ports, principal.tenantId, locationId);
  if (changed.length > 0 && connections.length > 0) {
    await markDirty(ports, principal.tenantId, locationId, connections.map((connection) => connection.providerId), changed);
    await claimJob(ports, principal.tenantId, locationId, pushEvent(principal.tenantId, locationId));
  }
  return { locationId, updates: updates.length, dates: updates.reduce((sum, update) => sum + datesOf(update), 0), changedChunks: changed.length, channels: connections.length };
}

/** A new or changed mapping: the channel gets the location's whole state. */
async function resync(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<void> {
  const chunks = await allChunkKeys(ports, tenantId, locationId);
  if (chunks.length === 0) return;
  await markDirty(ports, tenantId, locationId, [providerId], chunks);
  await ports.queue.send(CHANNEL_QUEUE, [{ body: JSON.stringify(pushEvent(tenantId, locationId, providerId)) }]);
}

export async function putMapping(ports: Ports, principal: Principal, providerId: string, input: PutMapping) {
  return saveMapping(ports, principal, providerId, input, (tenantId, locationId, id) => resync(ports, tenantId, locationId, id));
}

/** The `channel` queue's messages. */
export async function handle(ports: Ports, envelope: Event.Envelope & { type: Event.EventType }, receiveCount = 1): Promise<void> {
  switch (envelope.type) {
    case "channel.push": {
      const data = Event.dataOf(envelope, "channel.push");
      if (data.providerId) {
        if (data.attempt) await takeRetry(ports, envelope.tenantId, data.locationId, data.providerId);
        await pushChannel(ports, envelope.tenantId, data.locationId, data.providerId, data.attempt ?? 0);
        return;
      }
      await dropJobClaim(ports, envelope.tenantId, data.locationId);
      const connections = await connectionsOf(ports, envelope.tenantId, data.locationId);
      await Promise.all(connections.map((connection) => pushChannel(ports, envelope.tenantId, data.locationId, connection.providerId)));
      return;
    }
    case "channel.pull": {
      const data = Event.dataOf(envelope, "channel.pull");
      await pull(ports, envelope.tenantId, data.locationId, data.providerId);
      return;
    }
    case "channel.booking": {
      const data = Event.dataOf(envelope, "channel.booking");
      await applyVersion(ports, envelope.tenantId, data.providerId, data.bookingId, data.version);
      return;
    }
    case "inbound.ota": {
      const data = Event.dataOf(envelope, "inbound.ota");
      await processWith(ports, envelope.tenantId, data.inboundId, { receiveCount, maxReceiveCount: Event.queues.channel.maxReceiveCount }, (record) =>
        storePushed(ports, envelope.tenantId, record.providerId, record.body, record.headers).then(() => undefined),
      );
      return;
    }
    default:
      throw new Error(`the channel worker does not handle ${envelope.type}`);
  }
}

/** The schedule's step: one pull message per connection, so one slow channel holds up no other. */
export async function schedulePulls(ports: Ports): Promise<number> {
  const messages: { body: string }[] = [];
  for await (const connection of allConnections(ports)) {
    messages.push({ body: JSON.stringify(Event.create({ type: "channel.pull", tenantId: connection.tenantId, locationId: connection.locationId, data: { locationId: connection.locationId, providerId: connection.providerId } })) });
  }
  for (let at = 0; at < messages.length; at += 10) await ports.queue.send(CHANNEL_QUEUE, messages.slice(at, at + 10));
  return messages.length;
}

/** An admin's "pull now": the same step as the schedule's, for one channel and property. */
export async function pullNow(ports: Ports, tenantId: string, providerId: string, locationId?: string) {
  const provider = await otaProvider(ports, tenantId, providerId);
  const connection = await getMapping(ports, tenantId, providerId, locationId ?? provider.locationId);
  return pull(ports, tenantId, connection.locationId, providerId);
}

/** The channel's own rooms and rate plans, where its API lists them (to fill a mapping). */
export async function channelRooms(ports: Ports, tenantId: string, providerId: string, locationId?: string) {
  const provider = await otaProvider(ports, tenantId, providerId);
  const engine = engineOf(provider);
  if (!engine?.listRooms) throw new InvalidInputError(`${provider.name}'s API (${provider.apiFormat}) has no room list; enter its room codes by hand`);
  const connection = await getMapping(ports, tenantId, providerId, locationId ?? provider.locationId);
  await guardHosts(ports, provider);
  const result = await Resilience.callProvider(ports, provider, {
    action: "rooms.list",
    idempotent: true,
    run: async (current, attempt) => engine.listRooms?.(await contextFor(ports, current, connection, attempt)) ?? [],
  });
  return { providerId, locationId: connection.locationId, hotelCode: connection.hotelCode, rooms: result.value };
}

/** The admin page: each channel of a location with its mapping, push state and what is still waiting. */
export async function overview(ports: Ports, tenantId: string, locationId: string) {
  const rooms = await getRooms(ports, tenantId, locationId);
  const providers = (await Provider.list(ports, tenantId, { type: "ota", locationId })).map((provider) => Provider.view(ports, provider));
  const channels = await Promise.all(
    providers.map(async (provider) => {
      const connection = await getConnection(ports, tenantId, locationId, provider.id);
      return {
        provider: { id: provider.id, name: provider.name, slug: provider.slug, apiFormat: provider.apiFormat, active: provider.active, presetId: provider.presetId },
        connection: connection ?? null,
        status: await statusOf(ports, tenantId, locationId, provider.id),
        pendingChunks: connection ? await dirtyCount(ports, tenantId, locationId, provider.id) : 0,
      };
    }),
  );
  const reservations = await listReservations(ports, tenantId, { locationId, limit: 50 });
  return { locationId, rooms, channels, reservations: reservations.items };
}

/** Pushed bookings from the inbound hub: each stored once, like pulled ones. */
export async function storePushed(ports: Ports, tenantId: string, providerId: string, body: string, headers: Record<string, string>): Promise<{ stored: number; duplicates: number }> {
  const provider = await otaProvider(ports, tenantId, providerId);
  const engine = engineOf(provider);
  if (!engine?.parsePush) throw new InvalidInputError(`${provider.name} (${provider.apiFormat}) does not push bookings`);
  const pushed = engine.parsePush(provider, body, headers);
  let stored = 0;
  for (const booking of pushed.bookings) {
    const connection = await locateConnection(ports, tenantId, providerId, provider.locationId, booking.hotelCode);
    if (!connection) continue;
    if (await storeVersion(ports, provider, connection.locationId, booking, "push")) stored += 1;
  }
  return { stored, duplicates: pushed.bookings.length - stored };
}

async function locateConnection(ports: Ports, tenantId: string, providerId: string, locationId: string | undefined, hotelCode: string | undefined) {
  if (locationId) return getConnection(ports, tenantId, locationId, providerId);
  const candidates = (await tenantConnections(ports, tenantId)).filter((connection) => connection.providerId === providerId);
  return candidates.find((connection) => connection.hotelCode === hotelCode) ?? (candidates.length === 1 ? candidates[0] : undefined);
}


