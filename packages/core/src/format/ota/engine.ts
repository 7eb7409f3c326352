import type { Facet, AriItem } from "../../channel/coalesce.ts";
import type { ChannelBooking } from "../../channel/model.ts";
import type { HttpRequest, HttpResponse, Ports } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";

/**
 * An OTA channel format: how ARI, bookings and acknowledgements look on the wire.
 * Everything vendor-specific (endpoint paths, auth, version strings, limits) is
 * read from the provider record; the engine only knows the message structures.
 */
export interface OtaContext {
  ports: Ports;
  provider: Provider;
  secrets: Record<string, string>;
  baseUrl: string;
  /** The property's code on this channel. */
  hotelCode: string;
  /**
   * Where the last booking pull whose bookings were all stored ended (ISO time), for
   * channels whose booking list is a time window rather than a queue; absent before the first.
   */
  since?: string;
  /** One HTTP exchange through the resilience attempt (timed, logged); never throws on a status. */
  send(request: HttpRequest): Promise<HttpResponse>;
}

/** An ARI item with the channel's codes. */
export interface MappedItem extends AriItem {
  roomCode: string;
  rateCode?: string;
}

export interface ChannelRoom {
  code: string;
  name?: string;
  ratePlans: { code: string; name?: string }[];
}

export interface PushedBookings {
  /** Idempotency key of the pushed message (the channel's message id, else a hash of the body). */
  eventId: string;
  bookings: ChannelBooking[];
}

export interface OtaEngine {
  /** The elements this format's ARI messages are made of. */
  facets: readonly Facet[];
  /** Items per message when the record's `config.limits.itemsPerMessage` does not say. */
  defaultItemsPerMessage: number;
  /** Sends one ARI message of `kind`; resolves when the channel accepted it, else throws a ProviderError. */
  sendAri(context: OtaContext, kind: string, items: readonly MappedItem[]): Promise<void>;
  /** New, modified and cancelled bookings waiting on the channel. */
  pullBookings(context: OtaContext): Promise<ChannelBooking[]>;
  /** Tells the channel these bookings are stored (only ever called after they are). */
  acknowledge(context: OtaContext, bookings: readonly ChannelBooking[]): Promise<void>;
  /** False where the record's booking API has no acknowledgement at all (then `acknowledge` is never called); true when absent. */
  acknowledges?(provider: Provider): boolean;
  /** Bookings the channel pushed to our webhook. */
  parsePush?(provider: Provider, body: string, headers: Record<string, string>): PushedBookings;
  /** The channel's own list of rooms and rate plans, where its API has one. */
  listRooms?(context: OtaContext): Promise<ChannelRoom[]>;
}
