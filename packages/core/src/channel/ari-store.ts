import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import { dayOf, isoOf, monthLength, monthOf, monthStart, WEEKDAYS, weekdayOf } from "./dates.ts";
import { ariPk, chunkKey, dirtyPk, jobPk, parseChunkKey, perChannel } from "./keys.ts";
import { FIELDS, type AriUpdate, type Cell, type Field } from "./model.ts";

/**
 * The latest ARI state per (location, room, rate, date), stored as one item per
 * (room, rate, month). Each chunk counts its revisions, and remembers per field
 * and day the revision that last changed it: a channel that acknowledged
 * revision r of a chunk needs exactly the days whose fields changed after r.
 */
export interface Chunk {
  room: string;
  rate?: string;
  month: string;
  rev: number;
  /** Index = day of the month - 1. */
  days: (Cell | null)[];
  /** Field → per day, the revision that last changed it (0: never set). */
  revs: Partial<Record<Field, number[]>>;
  /**
   * Day index → a closure that spares one channel: overbooking protection closes a
   * room type on every channel except the one that sold the booking, which keeps
   * the `closed` value (and its revision) it had before. Any later `closed` from
   * the PMS ends the exception.
   */
  heldOpen?: Record<string, HeldOpen>;
}

export interface HeldOpen {
  providerId: string;
  closed?: boolean;
  /** The revision of that value: what the spared channel's dirty check compares. */
  closedRev: number;
}

export interface LoadedChunk {
  key: string;
  chunk: Chunk;
  version?: number;
}

function emptyChunk(key: string): Chunk {
  const { room, rate, month } = parseChunkKey(key);
  return { room, rate, month, rev: 0, days: Array.from({ length: monthLength(month) }, () => null), revs: {} };
}

function chunkOf(key: string, item: Item | undefined): Chunk {
  return item ? (item.data as unknown as Chunk) : emptyChunk(key);
}

/** The chunks an update touches. */
function monthsOf(update: Pick<AriUpdate, "from" | "to">): string[] {
  const months: string[] = [];
  let day = dayOf(update.from);
  const last = dayOf(update.to);
  while (day <= last) {
    const month = monthOf(day);
    months.push(month);
    day = monthStart(month) + monthLength(month);
  }
  return months;
}

/**
 * Applies updates (in order) to one chunk; returns whether anything changed.
 * `sparing`: the `closed` values set here do not apply to that channel (see Chunk.heldOpen).
 */
export function applyToChunk(chunk: Chunk, updates: readonly AriUpdate[], options: { sparing?: string } = {}): boolean {
  const start = monthStart(chunk.month);
  const length = chunk.days.length;
  const changed = new Map<Field, Set<number>>();
  const mark = (field: Field, index: number) => {
    let days = changed.get(field);
    if (!days) changed.set(field, (days = new Set()));
    days.add(index);
  };
  for (const update of updates) {
    const from = Math.max(dayOf(update.from) - start, 0);
    const to = Math.min(dayOf(update.to) - start, length - 1);
    if (from > to) continue;
    const weekdays = update.days ? new Set(update.days.map((name) => WEEKDAYS.indexOf(name))) : undefined;
    const fields = FIELDS.filter((field) => update[field] !== undefined);
    for (let index = from; index <= to; index += 1) {
      if (weekdays && !weekdays.has(weekdayOf(start + index))) continue;
      const cell: Cell = chunk.days[index] ?? {};
      for (const field of fields) {
        const value = update[field];
        if (field === "closed") {
          const held = chunk.heldOpen?.[String(index)];
          if (options.sparing === undefined && held) {
            // The PMS decides again: every channel gets its value, the spared one too.
            delete chunk.heldOpen?.[String(index)];
            if (held.closed !== value) mark(field, index);
          } else if (options.sparing !== undefined && cell.closed !== value && !held) {
            (chunk.heldOpen ??= {})[String(index)] = { providerId: options.sparing, closed: cell.closed, closedRev: chunk.revs.closed?.[index] ?? 0 };
          }
        }
        if (cell[field] === value) continue;
        (cell as Record<string, unknown>)[field] = value;
        mark(field, index);
      }
      chunk.days[index] = cell;
    }
  }
  if (chunk.heldOpen && Object.keys(chunk.heldOpen).length === 0) delete chunk.heldOpen;
  if (changed.size === 0) return false;
  chunk.rev += 1;
  for (const [field, days] of changed) {
    const revs = (chunk.revs[field] ??= Array.from({ length }, () => 0));
    for (const index of days) revs[index] = chunk.rev;
  }
  return true;
}

async function writeChunk(ports: Ports, pk: string, key: string, updates: readonly AriUpdate[], options: { sparing?: string }): Promise<{ key: string; rev: number } | undefined> {
  for (;;) {
    const item = await ports.store.get(pk, key);
    const chunk = structuredClone(chunkOf(key, item));
    if (!applyToChunk(chunk, updates, options)) return undefined;
    try {
      await ports.store.put({ pk, sk: key, data: chunk as unknown as Record<string, unknown> }, item ? { ifVersion: item.version } : { ifNotExists: true });
      return { key, rev: chunk.rev };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

/**
 * Stores updates as the latest state: grouped by chunk, each chunk read once and
 * written once (optimistic concurrency, retried on a concurrent write). Returns
 * the chunks that changed with their new revisions. `sparing`: a channel the
 * closures in these updates leave open (overbooking protection).
 */
export async function applyUpdates(ports: Ports, tenantId: string, locationId: string, updates: readonly AriUpdate[], options: { sparing?: string } = {}): Promise<{ key: string; rev: number }[]> {
  const byChunk = new Map<string, AriUpdate[]>();
  for (const update of updates) {
    for (const month of monthsOf(update)) {
      const key = chunkKey(update.roomType, update.ratePlan, month);
      let list = byChunk.get(key);
      if (!list) byChunk.set(key, (list = []));
      list.push(update);
    }
  }
  const pk = ariPk(tenantId, locationId);
  const written = await Promise.all([...byChunk].map(([key, list]) => writeChunk(ports, pk, key, list, options)));
  return written.filter((entry): entry is { key: string; rev: number } => entry !== undefined);
}

/** Notes, per channel, the chunks it has yet to receive. */
export async function markDirty(ports: Ports, tenantId: string, locationId: string, providerIds: readonly string[], chunks: readonly { key: string; rev: number }[]): Promise<void> {
  const pk = dirtyPk(tenantId, locationId);
  await Promise.all(providerIds.flatMap((providerId) => chunks.map((chunk) => ports.store.put({ pk, sk: perChannel(providerId, chunk.key), data: { rev: chunk.rev } }))));
}

/**
 * Queues the location's coalescing push unless one is already waiting: the claim
 * carries the outbox event, so a burst of writes yields one job. The worker drops
 * the claim as it starts, so writes after that queue the next one.
 */
export async function claimJob(ports: Ports, tenantId: string, locationId: string, event: Item["outbox"]): Promise<boolean> {
  try {
    await ports.store.put({ pk: jobPk(tenantId), sk: locationId, ttl: Math.floor(ports.clock.now() / 1000) + 3600, data: { at: ports.clock.now() }, outbox: event }, { ifNotExists: true });
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}

export async function dropJobClaim(ports: Ports, tenantId: string, locationId: string): Promise<void> {
  await ports.store.delete(jobPk(tenantId), locationId);
}

export async function loadChunks(ports: Ports, tenantId: string, locationId: string, keys: readonly string[]): Promise<LoadedChunk[]> {
  const pk = ariPk(tenantId, locationId);
  return Promise.all(
    keys.map(async (key) => {
      const item = await ports.store.get(pk, key);
      return { key, chunk: chunkOf(key, item), version: item?.version };
    }),
  );
}

/** Every chunk key of a location with its revision (a new channel gets them all). */
export async function allChunkKeys(ports: Ports, tenantId: string, locationId: string): Promise<{ key: string; rev: number }[]> {
  const out: { key: string; rev: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(ariPk(tenantId, locationId), { cursor, limit: 500 });
    for (const item of page.items) out.push({ key: item.sk, rev: Number((item.data as { rev?: number }).rev ?? 0) });
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** The cells of one (room, rate) over a span of days (undefined where nothing is stored). */
export async function cellsOf(ports: Ports, tenantId: string, locationId: string, room: string, rate: string | undefined, from: number, to: number): Promise<Map<number, Cell>> {
  const months = new Set<string>();
  for (let day = from; day <= to; day += 1) months.add(monthOf(day));
  const loaded = await loadChunks(ports, tenantId, locationId, [...months].map((month) => chunkKey(room, rate, month)));
  const cells = new Map<number, Cell>();
  for (const { chunk } of loaded) {
    const start = monthStart(chunk.month);
    chunk.days.forEach((cell, index) => {
      const day = start + index;
      if (cell && day >= from && day <= to) cells.set(day, cell);
    });
  }
  return cells;
}

/**
 * Moves a room type's availability by `delta` on each of `days` (never below 0),
 * inside the chunk's optimistic write, so concurrent bookings and PMS updates
 * cannot lose each other's change. Days without a stored availability are left
 * alone. Returns the changed chunks and each day's availability before.
 */
export async function adjustAvailability(
  ports: Ports,
  tenantId: string,
  locationId: string,
  roomType: string,
  days: readonly number[],
  delta: number,
): Promise<{ changed: { key: string; rev: number }[]; before: Map<number, number | undefined> }> {
  const before = new Map<number, number | undefined>();
  const byMonth = new Map<string, number[]>();
  for (const day of days) {
    const month = monthOf(day);
    let list = byMonth.get(month);
    if (!list) byMonth.set(month, (list = []));
    list.push(day);
  }
  const pk = ariPk(tenantId, locationId);
  const changed: { key: string; rev: number }[] = [];
  await Promise.all(
    [...byMonth].map(async ([month, list]) => {
      const key = chunkKey(roomType, undefined, month);
      for (;;) {
        const item = await ports.store.get(pk, key);
        const chunk = structuredClone(chunkOf(key, item));
        const start = monthStart(month);
        const updates: AriUpdate[] = [];
        for (const day of list) {
          const available = chunk.days[day - start]?.available;
          before.set(day, available);
          if (available === undefined) continue;
          const iso = isoOf(day);
          updates.push({ roomType, from: iso, to: iso, available: Math.max(0, available + delta) });
        }
        if (!applyToChunk(chunk, updates)) return;
        try {
          await ports.store.put({ pk, sk: key, data: chunk as unknown as Record<string, unknown> }, item ? { ifVersion: item.version } : { ifNotExists: true });
          changed.push({ key, rev: chunk.rev });
          return;
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
        }
      }
    }),
  );
  return { changed, before };
}
