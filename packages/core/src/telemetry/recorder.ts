import type { Ports } from "../port.ts";
import * as CallLog from "./call-log.ts";
import type { CallRecord } from "./call-log.ts";
import { add } from "./histogram.ts";
import { summarize } from "./pii.ts";
import { emptyRollup, flushHour, flushMinute, HOUR_MS, mergeRollup, MINUTE_MS, type Rollup, type RollupKey } from "./rollup.ts";
import { silentSink, type TelemetrySink } from "./sink.ts";

export interface RecorderOptions {
  /** Rollup deltas older than this are merged into the store (default 2 s). */
  flushIntervalMs?: number;
  /** Flush as soon as this many (provider, minute) deltas wait (default 200). */
  maxBuffered?: number;
  sink?: TelemetrySink;
  /**
   * "await": the call-log item is written before the call returns. "behind": it is
   * written right after, off the call's path, and a flush waits for it. "auto"
   * (default): await on AWS, where Lambda freezes the process as soon as the
   * handler returns and a write in flight may never finish; behind locally, where
   * the process lives on.
   */
  logWrites?: "await" | "behind" | "auto";
}

/** What the call log keeps of a request / response, masked only when written: masking is off the call's path. */
export interface Raw {
  request?: unknown;
  response?: unknown;
}

interface Pending {
  record: CallRecord;
  raw?: Raw;
}

function materialize({ record, raw }: Pending): CallRecord {
  if (!raw) return record;
  return { ...record, request: record.request ?? summarize(raw.request), response: record.response ?? summarize(raw.response) };
}

/** Call-log items written in the background are batched this long, so many share one commit. */
const LOG_BATCH_MS = 50;
const LOG_BATCH_MAX = 256;

interface Buffered {
  key: RollupKey;
  rollup: Rollup;
  /** Merged into the minute item already (a retry then only writes the hour item). */
  minuteDone?: boolean;
}

/**
 * Records provider attempts: the call-log item, the metrics sink, and the rollup
 * delta of the attempt's provider and minute, accumulated in memory and merged
 * into the store's rollup items every couple of seconds (see rollup.ts for the
 * contention argument). On AWS the flush that falls due is awaited by the call
 * that finds it due (a frozen Lambda runs no timers); locally it runs in the
 * background, and on a timer when no call comes. What can be lost: counts of at
 * most one flush interval per process — a Lambda environment reclaimed within
 * 2 s of its last flush, or a killed local process. The call log on AWS is
 * written before the call returns; locally, in 50 ms batches.
 */
export class Recorder {
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly logMode: "await" | "behind" | "auto";
  sink: TelemetrySink;

  private buffered = new Map<string, Buffered>();
  /** Deltas whose merge failed, kept apart so a half-written one is not counted twice. */
  private retry: Buffered[] = [];
  private bufferedSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPorts: Ports | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pendingLogs: Pending[] = [];
  private logTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private readonly logWrites = new Set<Promise<void>>();

  constructor(options: RecorderOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 2_000;
    this.maxBuffered = options.maxBuffered ?? 200;
    this.logMode = options.logWrites ?? "auto";
    this.sink = options.sink ?? silentSink;
  }

  private awaitLogs(ports: Ports): boolean {
    return this.logMode === "await" || (this.logMode === "auto" && ports.config.runtime === "aws");
  }

  private problem(message: string, error: unknown): void {
    try {
      this.sink.problem?.(message, error);
    } catch {
      // a sink that throws must not fail the call
    }
  }

  /** One attempt (or skipped call): `atMs` is when it started, by the ports' clock. */
  async record(ports: Ports, record: CallRecord, atMs: number, raw?: Raw): Promise<void> {
    this.lastPorts = ports;
    try {
      this.sink.attempt(record, ports.config.runtime);
    } catch (error) {
      this.problem("telemetry sink failed", error);
    }
    if (record.outcome !== "skipped") this.accumulate(record, atMs);
    const awaitLogs = this.awaitLogs(ports);
    if (awaitLogs) {
      await CallLog.write(ports, materialize({ record, raw })).catch((error: unknown) => this.problem("call log write failed", error));
    } else {
      this.pendingLogs.push({ record, raw });
      if (this.pendingLogs.length >= LOG_BATCH_MAX) this.drainLogs(ports);
      else if (!this.logTimer) {
        this.logTimer = setTimeout(() => this.drainLogs(ports), LOG_BATCH_MS);
        this.logTimer.unref();
      }
    }
    if (this.isDue() && !this.flushQueued) {
      const flushed = this.flush(ports).catch((error: unknown) => this.problem("rollup flush failed", error));
      if (awaitLogs) await flushed;
    }
  }

  private drainLogs(ports: Ports): void {
    if (this.logTimer) {
      clearTimeout(this.logTimer);
      this.logTimer = undefined;
    }
    const batch = this.pendingLogs;
    this.pendingLogs = [];
    if (batch.length === 0) return;
    const writing = Promise.all(
      batch.map((pending) => CallLog.write(ports, materialize(pending)).catch((error: unknown) => this.problem("call log write failed", error))),
    ).then(() => undefined);
    this.logWrites.add(writing);
    void writing.finally(() => this.logWrites.delete(writing));
  }

  private accumulate(record: CallRecord, atMs: number): void {
    const minute = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
    const id = `${record.tenantId}|${record.providerId}|${minute}`;
    let entry = this.buffered.get(id);
    if (!entry) {
      entry = { key: { tenantId: record.tenantId, providerId: record.providerId, minute }, rollup: emptyRollup() };
      this.buffered.set(id, entry);
    }
    const rollup = entry.rollup;
    rollup.calls += 1;
    if (record.outcome === "failure") {
      rollup.failures += 1;
      if (!rollup.lastError || record.at >= rollup.lastError.at) {
        rollup.lastError = { at: record.at, code: record.code ?? "error", message: record.error ?? "failed", ...(record.httpStatus ? { status: record.httpStatus } : {}) };
      }
    }
    if (record.outcome === "rejected") rollup.rejected += 1;
    rollup.sumMs += record.latencyMs;
    rollup.maxMs = Math.max(rollup.maxMs, record.latencyMs);
    add(rollup.hist, record.latencyMs);
    this.arm();
  }

  private arm(): void {
    if (this.bufferedSince !== undefined) return;
    this.bufferedSince = performance.now();
    // Locally the process lives on: flush even if no further call comes. On Lambda the
    // timer may only fire in a later invocation, which is harmless.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.lastPorts) this.flush(this.lastPorts).catch((error: unknown) => this.problem("rollup flush failed", error));
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  /**
   * A flush is due when deltas have waited a flush interval, or when the last flush is
   * a flush interval ago. The second rule matters on Lambda: a quiet environment
   * (one call now and then) writes its counts with the call that made them instead
   * of holding them until a next call that may never come; a busy one still writes
   * once per interval.
   */
  private isDue(): boolean {
    if (this.bufferedSince === undefined) return false;
    const now = performance.now();
    return (
      this.buffered.size + this.retry.length >= this.maxBuffered ||
      now - this.bufferedSince >= this.flushIntervalMs ||
      now - this.lastFlushAt >= this.flushIntervalMs
    );
  }

  /** How many (provider, minute) deltas wait to be merged. */
  get pending(): number {
    return this.buffered.size + this.retry.length;
  }

  /** Writes every buffered delta and call-log item now. Flushes run one after another. */
  flush(ports: Ports): Promise<void> {
    this.flushQueued = true;
    const run = this.chain.then(() => this.flushNow(ports));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(ports: Ports): Promise<void> {
    this.flushQueued = false;
    this.lastFlushAt = performance.now();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = [...this.retry, ...this.buffered.values()];
    this.buffered = new Map();
    this.retry = [];
    this.bufferedSince = undefined;
    this.drainLogs(ports);
    await Promise.all([...this.logWrites]);
    const failed: Buffered[] = [];
    // Minute items: one per (provider, minute), written side by side.
    await Promise.all(
      batch.map(async (entry) => {
        if (entry.minuteDone) return;
        try {
          await flushMinute(ports, entry.key, entry.rollup);
          entry.minuteDone = true;
        } catch (error) {
          failed.push(entry);
          this.problem("rollup flush failed; the counts stay buffered", error);
        }
      }),
    );
    // Hour items: the minutes of one provider-hour merged first, so each hour item gets one write per flush.
    const hours = new Map<string, Buffered[]>();
    for (const entry of batch) {
      if (!entry.minuteDone) continue;
      const id = `${entry.key.tenantId}|${entry.key.providerId}|${Math.floor(entry.key.minute / HOUR_MS)}`;
      hours.set(id, [...(hours.get(id) ?? []), entry]);
    }
    await Promise.all(
      [...hours.values()].map(async (entries) => {
        const [first] = entries;
        if (!first) return;
        const merged = entries.reduce((total, entry) => mergeRollup(total, entry.rollup), emptyRollup());
        try {
          await flushHour(ports, first.key, merged);
        } catch (error) {
          failed.push(...entries);
          this.problem("rollup flush failed; the counts stay buffered", error);
        }
      }),
    );
    if (failed.length > 0) {
      this.retry.push(...failed);
      this.arm();
    }
    try {
      this.sink.flush?.(ports.config.runtime);
    } catch (error) {
      this.problem("telemetry sink flush failed", error);
    }
  }
}
