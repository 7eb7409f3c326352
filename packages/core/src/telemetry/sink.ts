import type { PlatformConfig } from "../port.ts";
import type { CallRecord } from "./call-log.ts";

/**
 * Where provider-call telemetry goes besides the store: structured logs, EMF
 * metrics and tracing on AWS (Powertools, wired in packages/functions), the same
 * logger locally. Core stays free of Powertools; it only knows this interface.
 * A sink must not throw and must not block: it is called on the hot path.
 */
export interface TelemetrySink {
  /** Every attempt, and every call that was skipped (breaker open, rate limit). */
  attempt(record: CallRecord, runtime: PlatformConfig["runtime"]): void;
  /** Around one attempt: e.g. a tracing subsegment. The returned function is called with the outcome. */
  trace?(info: { providerId: string; providerSlug: string; providerType: string; action: string; attempt: number }, runtime: PlatformConfig["runtime"]): ((record: CallRecord) => void) | undefined;
  /** Buffered output out now (the recorder flushes its rollups). */
  flush?(runtime: PlatformConfig["runtime"]): void;
  /** Telemetry itself failed (a call-log or rollup write): worth a warning, never worth failing the call. */
  problem?(message: string, error: unknown): void;
}

/** Nothing: the default until the functions package installs its sink. */
export const silentSink: TelemetrySink = { attempt: () => {} };
