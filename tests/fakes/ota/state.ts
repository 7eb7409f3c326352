import { XMLBuilder, XMLParser } from "fast-xml-parser";

/**
 * What every simulated channel keeps: its own per-date ARI state (as it would show
 * in its extranet), the ARI messages it accepted, a queue of bookings waiting for
 * the connectivity partner, and the acknowledgements it took. Tests flip `down`
 * to make the channel answer 503, and `failAcks` to refuse acknowledgements.
 */

export interface ChannelCell {
  available?: number;
  closed?: boolean;
  rate?: number;
  currency?: string;
  minLos?: number;
  maxLos?: number;
  closedToArrival?: boolean;
  closedToDeparture?: boolean;
}

export interface AcceptedMessage {
  kind: string;
  items: number;
  /** What each item set, for tests that look at values ("room|rate|from|to" → values). */
  entries: { room: string; rate?: string; from: string; to: string; values: ChannelCell }[];
  at: number;
}

export interface QueuedBooking {
  /** The channel's booking id. */
  id: string;
  /** Which acknowledgement the channel expects (OTA: new / modify queue; EQC: Book / Modify / Cancel). */
  type: string;
  /** Anything the fake needs to render it. */
  payload: Record<string, unknown>;
}

export class ChannelState {
  /** `room|rate|date` (rate "" for room-level values) → values. */
  readonly cells = new Map<string, ChannelCell>();
  readonly accepted: AcceptedMessage[] = [];
  readonly rejected: { reason: string; at: number }[] = [];
  /** Bookings waiting to be retrieved (until acknowledged). */
  queue: QueuedBooking[] = [];
  /** Successful acknowledgements per `id|type`. */
  readonly acks = new Map<string, number>();
  /** Booking retrievals served. */
  retrievals = 0;
  down = false;
  /** Acknowledgements to refuse before accepting again. */
  failAcks = 0;
  readonly rooms: Map<string, Set<string>>;
  readonly hotelCode: string;
  readonly maxItems: number;

  constructor(options: { hotelCode: string; rooms: Record<string, string[]>; maxItems: number }) {
    this.hotelCode = options.hotelCode;
    this.maxItems = options.maxItems;
    this.rooms = new Map(Object.entries(options.rooms).map(([room, rates]) => [room, new Set(rates)]));
  }

  /** A problem with a room / rate code, as the channel would name it, or undefined. */
  unknownCode(room: string, rate?: string): string | undefined {
    const rates = this.rooms.get(room);
    if (!rates) return `unknown room type ${room}`;
    if (rate !== undefined && !rates.has(rate)) return `unknown rate plan ${rate} for room ${room}`;
    return undefined;
  }

  /** Applies values from..to (inclusive) to a room (and rate). */
  apply(room: string, rate: string | undefined, from: string, to: string, values: ChannelCell): void {
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to}T00:00:00Z`);
    for (let at = start; at <= end; at += 86_400_000) {
      const key = `${room}|${rate ?? ""}|${new Date(at).toISOString().slice(0, 10)}`;
      this.cells.set(key, { ...this.cells.get(key), ...values });
    }
  }

  cell(room: string, rate: string | undefined, date: string): ChannelCell | undefined {
    return this.cells.get(`${room}|${rate ?? ""}|${date}`);
  }

  acknowledged(id: string, type: string): void {
    const key = `${id}|${type}`;
    this.acks.set(key, (this.acks.get(key) ?? 0) + 1);
    this.queue = this.queue.filter((booking) => !(booking.id === id && booking.type === type));
  }

  /** Messages accepted since `since` (real time ms). */
  acceptedSince(since: number): AcceptedMessage[] {
    return this.accepted.filter((message) => message.at >= since);
  }
}

export function validRange(from: string | undefined, to: string | undefined): boolean {
  return Boolean(from && to && /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to);
}

/** Repeated elements as lists, like the channels' own parsers (namespace prefixes dropped). */
export function xmlParser(repeated: string[]): XMLParser {
  const set = new Set(repeated);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_", removeNSPrefix: true, parseTagValue: false, parseAttributeValue: false, isArray: (name) => set.has(name) });
}

export const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", suppressEmptyNode: true });

export function xml(root: string, body: Record<string, unknown>): string {
  return xmlBuilder.build({ "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" }, [root]: body }) as string;
}

export type Node = Record<string, unknown>;
export const list = (value: unknown): Node[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((entry) => (typeof entry === "object" && entry !== null ? (entry as Node) : {}));
export const one = (value: unknown): Node | undefined => list(value)[0];
export const attr = (node: Node | undefined, name: string): string | undefined => {
  const value = node?.[`@_${name}`];
  return typeof value === "string" ? value : undefined;
};
