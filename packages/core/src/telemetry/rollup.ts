import { ConditionFailedError, type Ports } from "../port.ts";
import { emptyHistogram, merge as mergeHistogram, quantiles, type Histogram } from "./histogram.ts";

/**
 * Per-provider rollups: one item per provider per minute and one per provider per
 * hour, each with counts and a latency histogram (histogram.ts). Any window is
 * answered by merging buckets: the last hour from ≤ 60 minute items, 24 hours and
 * 7 days from ≤ 24 / ≤ 168 hour items — never from the call log.
 *
 * Why hour items as well: 7 days of minute items would be 10,080 reads per
 * provider, 504,000 for a page of 50 providers. Writing the hour item costs one
 * more conditional write per flush (flushes are every few seconds per process,
 * not per call), and the windows stay bounded. The price: 24 h and 7 d windows
 * are aligned to whole hours (they cover 23–24 h and 167–168 h, plus the current
 * partial hour).
 *
 * Write contention: calls are not written to rollups one by one. Each process
 * accumulates deltas in memory (recorder.ts) and merges them into the items with
 * a read + conditional write (ifVersion), retried on a conflict. With P processes
 * flushing every F seconds, an item sees about P / F writes a second whatever the
 * call rate; a conflict costs one more round trip.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const MINUTE_TTL_SECONDS = 3 * 86_400;
const HOUR_TTL_SECONDS = 35 * 86_400;
const ACTIVE_TTL_SECONDS = 3 * 86_400;
const MAX_CONFLICTS = 50;

export const rollupPk = (tenantId: string, providerId: string) => `ROLLUP#${tenantId}#${providerId}`;
const stamp = (ms: number) => new Date(ms).toISOString();
export const minuteSk = (ms: number) => `M#${stamp(ms).slice(0, 16)}`;
export const hourSk = (ms: number) => `H#${stamp(ms).slice(0, 13)}`;
/** Providers that had calls in an hour, for jobs that look at every busy provider without a scan. */
export const activePk = (hourMs: number) => `ROLLUP#ACTIVE#${stamp(hourMs).slice(0, 13)}`;

export interface LastError {
  at: string;
  code: string;
  message: string;
  status?: number;
}

/** Counts of one provider over a period. `calls` = sent attempts; `rejected` (4xx answers) are not failures. */
export interface Rollup {
  calls: number;
  failures: number;
  rejected: number;
  sumMs: number;
  maxMs: number;
  hist: Histogram;
  lastError?: LastError;
}

export function emptyRollup(): Rollup {
  return { calls: 0, failures: 0, rejected: 0, sumMs: 0, maxMs: 0, hist: emptyHistogram() };
}

/** Adds `source` into `target` in place. */
export function mergeRollup(target: Rollup, source: Partial<Rollup> | undefined): Rollup {
  if (!source) return target;
  target.calls += source.calls ?? 0;
  target.failures += source.failures ?? 0;
  target.rejected += source.rejected ?? 0;
  target.sumMs += source.sumMs ?? 0;
  target.maxMs = Math.max(target.maxMs, source.maxMs ?? 0);
  mergeHistogram(target.hist, source.hist);
  if (source.lastError && (!target.lastError || source.lastError.at > target.lastError.at)) target.lastError = source.lastError;
  return target;
}

export interface RollupKey {
  tenantId: string;
  providerId: string;
  /** Start of the minute, ms. */
  minute: number;
}

async function mergeItem(ports: Ports, pk: string, sk: string, ttl: number, delta: Rollup, extra: Record<string, unknown>): Promise<boolean> {
  for (let round = 0; round < MAX_CONFLICTS; round += 1) {
    const item = await ports.store.get(pk, sk);
    const next = mergeRollup(mergeRollup(emptyRollup(), item?.data as Partial<Rollup> | undefined), delta);
    try {
      await ports.store.put({ pk, sk, ttl, data: { ...extra, ...next } }, item ? { ifVersion: item.version } : { ifNotExists: true });
      return item === undefined;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new Error(`rollup ${pk} ${sk} kept changing under us; the delta stays buffered`);
}

/** Merges a buffered delta into its minute item. */
export async function flushMinute(ports: Ports, key: RollupKey, delta: Rollup): Promise<void> {
  const extra = { tenantId: key.tenantId, providerId: key.providerId, start: key.minute };
  await mergeItem(ports, rollupPk(key.tenantId, key.providerId), minuteSk(key.minute), Math.floor(key.minute / 1000) + MINUTE_TTL_SECONDS, delta, extra);
}

/** Merges a buffered delta into its hour item; the first write of an hour also lists the provider as active. */
export async function flushHour(ports: Ports, key: RollupKey, delta: Rollup): Promise<void> {
  const hour = Math.floor(key.minute / HOUR_MS) * HOUR_MS;
  const extra = { tenantId: key.tenantId, providerId: key.providerId };
  const created = await mergeItem(ports, rollupPk(key.tenantId, key.providerId), hourSk(hour), Math.floor(hour / 1000) + HOUR_TTL_SECONDS, delta, {
    ...extra,
    start: hour,
  });
  if (created) {
    await ports.store
      .put({ pk: activePk(hour), sk: `${key.tenantId}#${key.providerId}`, ttl: Math.floor(hour / 1000) + ACTIVE_TTL_SECONDS, data: extra }, { ifNotExists: true })
      .catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error;
      });
  }
}

/** Merges one delta into its minute and hour items. */
export async function flushDelta(ports: Ports, key: RollupKey, delta: Rollup): Promise<void> {
  await flushMinute(ports, key, delta);
  await flushHour(ports, key, delta);
}

export type Window = "1h" | "24h" | "7d";
export const WINDOWS: Record<Window, { hours: number }> = { "1h": { hours: 1 }, "24h": { hours: 24 }, "7d": { hours: 168 } };

/** Reads and merges a window: minute items for 1 h (≤ 60), hour items beyond (≤ 24 / ≤ 168). */
export async function readWindow(ports: Ports, tenantId: string, providerId: string, window: Window, now = ports.clock.now()): Promise<Rollup & { items: number }> {
  const pk = rollupPk(tenantId, providerId);
  let from: string;
  let to: string;
  if (window === "1h") {
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    from = minuteSk(minute - 59 * MINUTE_MS);
    to = minuteSk(minute);
  } else {
    const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
    from = hourSk(hour - (WINDOWS[window].hours - 1) * HOUR_MS);
    to = hourSk(hour);
  }
  const total = emptyRollup();
  let items = 0;
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(pk, { from, to, cursor, limit: 200 });
    for (const item of page.items) {
      mergeRollup(total, item.data as Partial<Rollup>);
      items += 1;
    }
    cursor = page.cursor;
  } while (cursor);
  return { ...total, items };
}

export interface Stats {
  calls: number;
  failures: number;
  rejected: number;
  /** (calls − failures) / calls; 1 when there were no calls. */
  successRate: number;
  failureRate: number;
  p50: number;
  p95: number;
  p99: number;
  meanMs: number;
  maxMs: number;
}

/** Four significant digits: adds at most 0.05% to the histogram's 1%. */
const round2 = (value: number) => (value === 0 ? 0 : Number(value.toPrecision(4)));

export function statsOf(rollup: Rollup): Stats {
  const [p50 = 0, p95 = 0, p99 = 0] = quantiles(rollup.hist, [0.5, 0.95, 0.99]);
  const failureRate = rollup.calls > 0 ? rollup.failures / rollup.calls : 0;
  return {
    calls: rollup.calls,
    failures: rollup.failures,
    rejected: rollup.rejected,
    successRate: rollup.calls > 0 ? 1 - failureRate : 1,
    failureRate,
    p50: round2(p50),
    p95: round2(p95),
    p99: round2(p99),
    meanMs: rollup.calls > 0 ? round2(rollup.sumMs / rollup.calls) : 0,
    maxMs: round2(rollup.maxMs),
  };
}
