import type { LoadedChunk } from "./ari-store.ts";
import { isoOf, monthStart } from "./dates.ts";
import type { Cell, Field } from "./model.ts";

/**
 * A format's unit of ARI: which values travel together in one element of its
 * messages (an OTA AvailStatusMessage carries one restriction; an EQC
 * Restrictions element carries four), and which message kind carries it.
 */
export interface Facet {
  name: string;
  level: "room" | "rate";
  fields: readonly Field[];
  /** Message kind (OTA: availability or rates; EQC: one kind). */
  kind: string;
}

/** One element to send: a facet's values over a run of consecutive dates. */
export interface AriItem {
  facet: string;
  kind: string;
  room: string;
  rate?: string;
  from: string;
  to: string;
  values: Cell;
  /** The chunks whose days this item carries (acknowledged when every item of theirs is). */
  chunks: string[];
}

function pick(cell: Cell | null, fields: readonly Field[]): Cell | undefined {
  if (!cell) return undefined;
  let found: Cell | undefined;
  for (const field of fields) {
    const value = cell[field];
    if (value === undefined) continue;
    found ??= {};
    (found as Record<string, unknown>)[field] = value;
  }
  return found;
}

/** A cell as a spared channel sees it: its own `closed`. */
function viewFor(cell: Cell | null, closed: boolean | undefined): Cell | null {
  if (!cell) return cell;
  const { closed: _shared, ...rest } = cell;
  return closed === undefined ? rest : { ...rest, closed };
}

function same(a: Cell, b: Cell, fields: readonly Field[]): boolean {
  return fields.every((field) => a[field] === b[field]);
}

/**
 * The fewest items that bring a channel from what it acknowledged to the current
 * state: per facet and (room, rate), the days whose facet fields changed since the
 * chunk revision the channel acknowledged, merged into maximal runs of
 * consecutive dates with equal values (runs cross month boundaries). `channel`:
 * whose view of the state — a closure that spares it (Chunk.heldOpen) shows it
 * the value it had before.
 */
export function coalesce(chunks: readonly LoadedChunk[], acked: (key: string) => number, facets: readonly Facet[], channel?: string): AriItem[] {
  const series = new Map<string, LoadedChunk[]>();
  for (const loaded of chunks) {
    const id = `${loaded.chunk.room}#${loaded.chunk.rate ?? ""}`;
    let list = series.get(id);
    if (!list) series.set(id, (list = []));
    list.push(loaded);
  }
  const items: AriItem[] = [];
  for (const list of series.values()) {
    list.sort((a, b) => a.chunk.month.localeCompare(b.chunk.month));
    const first = list[0];
    if (!first) continue;
    const level = first.chunk.rate === undefined ? "room" : "rate";
    for (const facet of facets) {
      if (facet.level !== level) continue;
      let run: (AriItem & { last: number }) | undefined;
      const close = () => {
        if (run) {
          const { last: _last, ...item } = run;
          items.push(item);
        }
        run = undefined;
      };
      for (const { key, chunk } of list) {
        const since = acked(key);
        const start = monthStart(chunk.month);
        for (let index = 0; index < chunk.days.length; index += 1) {
          const held = channel === undefined ? undefined : chunk.heldOpen?.[String(index)];
          const spared = held?.providerId === channel ? held : undefined;
          const revOf = (field: Field) => (spared && field === "closed" ? spared.closedRev : (chunk.revs[field]?.[index] ?? 0));
          const dirty = facet.fields.some((field) => revOf(field) > since);
          const values = dirty ? pick(spared ? viewFor(chunk.days[index] ?? null, spared.closed) : (chunk.days[index] ?? null), facet.fields) : undefined;
          if (!values) {
            close();
            continue;
          }
          const day = start + index;
          if (run && run.last === day - 1 && same(run.values, values, facet.fields)) {
            run.last = day;
            run.to = isoOf(day);
            if (run.chunks.at(-1) !== key) run.chunks.push(key);
            continue;
          }
          close();
          run = { facet: facet.name, kind: facet.kind, room: chunk.room, rate: chunk.rate, from: isoOf(day), to: isoOf(day), values, chunks: [key], last: day };
        }
      }
      close();
    }
  }
  return items;
}

/** Items split into messages per kind, each holding at most `limit` items. */
export function pack<T extends { kind: string }>(items: readonly T[], limit: number): { kind: string; items: T[] }[] {
  const byKind = new Map<string, T[]>();
  for (const item of items) {
    let list = byKind.get(item.kind);
    if (!list) byKind.set(item.kind, (list = []));
    list.push(item);
  }
  const messages: { kind: string; items: T[] }[] = [];
  for (const [kind, list] of byKind) {
    for (let at = 0; at < list.length; at += limit) messages.push({ kind, items: list.slice(at, at + limit) });
  }
  return messages;
}
