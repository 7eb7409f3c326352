import * as Audit from "../audit/index.ts";
import { InvalidInputError, NotFoundError } from "../error.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import { getLocation } from "../tenant/index.ts";
import { actorOf, type Principal } from "../tenant/model.ts";
import { channelPk, connectionPrefix, connectionSk, CONNECTIONS_INDEX, roomsSk } from "./keys.ts";
import { Connection, PutMapping, RoomSetup } from "./model.ts";

/** A location's room types and rate plans; an empty setup when none was saved. */
export async function getRooms(ports: Ports, tenantId: string, locationId: string): Promise<RoomSetup> {
  await getLocation(ports, tenantId, locationId);
  const item = await ports.store.get(channelPk(tenantId), roomsSk(locationId));
  return item ? RoomSetup.parse(item.data) : { locationId, roomTypes: [] };
}

export async function putRooms(ports: Ports, principal: Principal, input: unknown): Promise<RoomSetup> {
  const setup = RoomSetup.parse(input);
  await getLocation(ports, principal.tenantId, setup.locationId);
  await ports.store.put({ pk: channelPk(principal.tenantId), sk: roomsSk(setup.locationId), data: setup });
  await Audit.record(ports, principal, { action: "channel.rooms_saved", target: setup.locationId, changed: setup.roomTypes.map((room) => room.id) });
  return setup;
}

/** An OTA provider of the tenant, or a clear error. */
export async function otaProvider(ports: Ports, tenantId: string, providerId: string): Promise<ProviderRecord> {
  const provider = await Provider.get(ports, tenantId, providerId);
  if (provider.type !== "ota") throw new InvalidInputError(`${provider.name} is a ${provider.type} provider; channel mappings are for ota providers`);
  return provider;
}

/** The location a mapping call is about: the provider's own, else the one given. */
function locationFor(provider: ProviderRecord, locationId: string | undefined): string {
  if (provider.locationId) {
    if (locationId && locationId !== provider.locationId) throw new InvalidInputError(`${provider.name} belongs to location ${provider.locationId}, not ${locationId}`);
    return provider.locationId;
  }
  if (!locationId) throw new InvalidInputError(`locationId: ${provider.name} serves the whole business; say which property this mapping is for`);
  return locationId;
}

export async function getConnection(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<Connection | undefined> {
  const item = await ports.store.get(channelPk(tenantId), connectionSk(locationId, providerId));
  return item ? Connection.parse(item.data) : undefined;
}

export async function getMapping(ports: Ports, tenantId: string, providerId: string, locationId?: string): Promise<Connection> {
  const provider = await otaProvider(ports, tenantId, providerId);
  const location = locationFor(provider, locationId);
  const connection = await getConnection(ports, tenantId, location, providerId);
  if (!connection) throw new NotFoundError(`a mapping of ${provider.name} for location ${location}`);
  return connection;
}

/**
 * Saves a channel's mapping. Every room type and rate plan named must exist in the
 * location's room setup; the channel then gets the location's whole ARI state.
 */
export async function putMapping(
  ports: Ports,
  principal: Principal,
  providerId: string,
  input: PutMapping,
  resync: (tenantId: string, locationId: string, providerId: string) => Promise<void>,
): Promise<Connection> {
  const parsed = PutMapping.parse(input);
  const provider = await otaProvider(ports, principal.tenantId, providerId);
  const locationId = locationFor(provider, parsed.locationId);
  const rooms = await getRooms(ports, principal.tenantId, locationId);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const mapped of parsed.rooms) {
    const room = rooms.roomTypes.find((candidate) => candidate.id === mapped.roomType);
    if (!room) {
      problems.push(`room type ${mapped.roomType} is not in this location's room setup`);
      continue;
    }
    if (seen.has(mapped.roomType)) problems.push(`room type ${mapped.roomType} is mapped twice`);
    seen.add(mapped.roomType);
    for (const plan of mapped.ratePlans) {
      if (!room.ratePlans.some((candidate) => candidate.id === plan.ratePlan)) problems.push(`rate plan ${plan.ratePlan} is not a rate plan of ${room.id}`);
    }
  }
  if (problems.length > 0) throw new InvalidInputError(`fix the mapping: ${problems.join("; ")}`, { problems });
  const connection = Connection.parse({
    tenantId: principal.tenantId,
    locationId,
    providerId,
    hotelCode: parsed.hotelCode,
    rooms: parsed.rooms,
    updatedBy: actorOf(principal),
    updatedAt: new Date(ports.clock.now()).toISOString(),
  });
  await ports.store.put({
    pk: channelPk(principal.tenantId),
    sk: connectionSk(locationId, providerId),
    gsi1pk: CONNECTIONS_INDEX,
    gsi1sk: `${principal.tenantId}#${locationId}#${providerId}`,
    data: connection,
  });
  await Audit.record(ports, principal, { action: "channel.mapping_saved", target: providerId, changed: parsed.rooms.map((room) => room.roomType) });
  await resync(principal.tenantId, locationId, providerId);
  return connection;
}

/** The channels a location pushes to: its connections whose provider is active. */
export async function connectionsOf(ports: Ports, tenantId: string, locationId: string): Promise<Connection[]> {
  const page = await ports.store.query(channelPk(tenantId), { prefix: connectionPrefix(locationId), limit: 1000 });
  return page.items.map((item) => Connection.parse(item.data));
}

/** Every connection of a tenant, all locations. */
export async function tenantConnections(ports: Ports, tenantId: string): Promise<Connection[]> {
  const page = await ports.store.query(channelPk(tenantId), { prefix: "CONN#", limit: 1000 });
  return page.items.map((item) => Connection.parse(item.data));
}

/** Every connection of every tenant (the scheduled pull walks them). */
export async function* allConnections(ports: Ports): AsyncGenerator<Connection> {
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(CONNECTIONS_INDEX, { index: "gsi1", cursor, limit: 500 });
    for (const item of page.items) yield Connection.parse(item.data);
    cursor = page.cursor;
  } while (cursor);
}

/** Channel codes of one connection, both ways. */
export interface CodeMap {
  room(roomType: string): string | undefined;
  rate(roomType: string, ratePlan: string): string | undefined;
  /** Channel room (and rate) code → ours. */
  fromChannel(roomCode: string, rateCode?: string): { roomType?: string; ratePlan?: string };
}

export function codeMap(connection: Connection): CodeMap {
  const rooms = new Map(connection.rooms.map((room) => [room.roomType, room]));
  return {
    room: (roomType) => rooms.get(roomType)?.code,
    rate: (roomType, ratePlan) => rooms.get(roomType)?.ratePlans.find((plan) => plan.ratePlan === ratePlan)?.code,
    fromChannel: (roomCode, rateCode) => {
      const room = connection.rooms.find((candidate) => candidate.code === roomCode);
      if (!room) return {};
      const plan = rateCode === undefined ? undefined : room.ratePlans.find((candidate) => candidate.code === rateCode);
      return { roomType: room.roomType, ratePlan: plan?.ratePlan };
    },
  };
}
