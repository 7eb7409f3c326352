import type { Ports } from "../port.ts";
import * as CallLog from "./call-log.ts";
import { Recorder } from "./recorder.ts";
import type { TelemetrySink } from "./sink.ts";

/**
 * Telemetry of provider calls: the integration call log, per-minute and per-hour
 * rollups with latency histograms, the health report with alerting, and a sink
 * for logs / metrics / traces that the functions package wires to Powertools.
 */
export { type CallOutcome, type CallRecord } from "./call-log.ts";
export { RELATIVE_ACCURACY } from "./histogram.ts";
export { maskPii, maskText, summarize } from "./pii.ts";
export { Recorder, type RecorderOptions } from "./recorder.ts";
export { readWindow, statsOf, WINDOWS, type Rollup, type Stats, type Window } from "./rollup.ts";
export { ALERT_FAILURE_RATE, ALERT_MIN_CALLS, evaluateAlert, incidents, report, watch, type HealthReport, type ProviderHealth } from "./health.ts";
export { silentSink, type TelemetrySink } from "./sink.ts";

/** The process's recorder: the default pipeline records through it; the health page flushes it first. */
export const recorder = new Recorder();

/** Installs where attempts go besides the store (the functions package does this once per process). */
export function useSink(sink: TelemetrySink): void {
  recorder.sink = sink;
}

/** Writes what this process has buffered (rollup deltas, call-log items). */
export function flush(ports: Ports): Promise<void> {
  return recorder.flush(ports);
}

/** A page of a provider's call log, newest first; the caller has checked the provider is the tenant's. */
export const calls = CallLog.page;
