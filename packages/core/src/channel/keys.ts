/**
 * Store layout of the channel manager. ARI state is kept per (room, rate, month)
 * chunk: one item holds a month of days, so an update over a year touches 13
 * items instead of 365, and a channel's dirty set is a list of chunk keys.
 */

/** Room types, mappings, channel status: small per-tenant records. */
export const channelPk = (tenantId: string) => `CHAN#${tenantId}`;
export const roomsSk = (locationId: string) => `ROOMS#${locationId}`;
export const connectionSk = (locationId: string, providerId: string) => `CONN#${locationId}#${providerId}`;
export const connectionPrefix = (locationId: string) => `CONN#${locationId}#`;
/** Every connection of every tenant, for the scheduled booking pull. */
export const CONNECTIONS_INDEX = "CHANCONN";
export const statusSk = (locationId: string, providerId: string) => `STATUS#${locationId}#${providerId}`;

/** ARI state: pk per location, sk `room#rate#YYYY-MM` (rate "-" for the room's own values). */
export const ariPk = (tenantId: string, locationId: string) => `ARI#${tenantId}#${locationId}`;
export const NO_RATE = "-";
export const chunkKey = (room: string, rate: string | undefined, month: string) => `${room}#${rate ?? NO_RATE}#${month}`;
export function parseChunkKey(key: string): { room: string; rate?: string; month: string } {
  const [room = "", rate = NO_RATE, month = ""] = key.split("#");
  return { room, rate: rate === NO_RATE ? undefined : rate, month };
}

/** What each channel still has to be sent: sk `providerId#chunkKey`. */
export const dirtyPk = (tenantId: string, locationId: string) => `ARIDIRTY#${tenantId}#${locationId}`;
/** What each channel acknowledged: sk `providerId#chunkKey`, the chunk revision and the rates it holds. */
export const ackPk = (tenantId: string, locationId: string) => `ARIACK#${tenantId}#${locationId}`;
export const perChannel = (providerId: string, key: string) => `${providerId}#${key}`;

/** One pending coalescing job per location; one pusher per channel at a time; one pending retry per channel. */
export const jobPk = (tenantId: string) => `ARIJOB#${tenantId}`;
export const lockPk = (tenantId: string, locationId: string) => `ARILOCK#${tenantId}#${locationId}`;
export const retryPk = (tenantId: string, locationId: string) => `ARIRETRY#${tenantId}#${locationId}`;

/** Reservations from channels: sk `providerId#bookingId`. */
export const reservationPk = (tenantId: string) => `RES#${tenantId}`;
export const reservationSk = (providerId: string, bookingId: string) => `${providerId}#${bookingId}`;
/** Each version of a booking as the channel sent it, stored once: sk = version. */
export const bookingVersionPk = (tenantId: string, providerId: string, bookingId: string) => `RESV#${tenantId}#${providerId}#${bookingId}`;
