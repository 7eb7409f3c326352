import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { Tracer } from "@aws-lambda-powertools/tracer";
import type { PlatformConfig } from "@sambung/core/port";
import type { CallRecord } from "@sambung/core/telemetry/call-log";
import { useSink } from "@sambung/core/telemetry/index";
import type { TelemetrySink } from "@sambung/core/telemetry/sink";
import { logger } from "./log.ts";

/**
 * Where provider-call telemetry goes besides the store. Everywhere: one
 * structured log line per attempt through the one logger (warn for failures,
 * debug otherwise). On AWS only (ports.config.runtime === "aws"): EMF metrics per
 * provider through Powertools Metrics (ProviderCallSuccess / ProviderCallFailure
 * counts and ProviderCallLatency in ms, dimensions provider + providerType),
 * published with each attempt so nothing waits in a buffer a frozen Lambda may
 * never flush; and an X-Ray subsegment per attempt with annotations through
 * Powertools Tracer. Core only sees the TelemetrySink interface.
 */

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? "sambung";
/** Loaded on AWS only: the tracer alone takes ~200 ms to import, which the local runtime does not need. */
let metrics: Metrics | undefined;
let tracer: Tracer | undefined;
let loading: Promise<void> | undefined;

async function loadAws(): Promise<void> {
  loading ??= (async () => {
    const [{ Metrics }, { Tracer }] = await Promise.all([import("@aws-lambda-powertools/metrics"), import("@aws-lambda-powertools/tracer")]);
    metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "Sambung", serviceName: SERVICE });
    tracer = new Tracer({ serviceName: SERVICE });
  })();
  return loading;
}

function logAttempt(record: CallRecord): void {
  // Successes log at debug: skip building the line when nobody will print it.
  if (record.outcome === "success" || record.outcome === "rejected") {
    if (logger.getLevelName() !== "DEBUG" && logger.getLevelName() !== "TRACE") return;
  }
  const fields = {
    providerId: record.providerId,
    provider: record.providerSlug,
    providerType: record.providerType,
    featureKey: record.featureKey,
    action: record.action,
    role: record.role,
    attempt: record.attempt,
    outcome: record.outcome,
    code: record.code,
    httpStatus: record.httpStatus,
    latencyMs: record.latencyMs,
    error: record.error,
    correlationId: record.correlationId,
  };
  if (record.outcome === "failure") logger.warn("provider call failed", fields);
  else if (record.outcome === "skipped") logger.info("provider call skipped", fields);
  else logger.debug("provider call", fields);
}

export const powertoolsSink: TelemetrySink = {
  attempt(record, runtime) {
    logAttempt(record);
    const m = metrics;
    if (runtime !== "aws" || record.outcome === "skipped" || !m) return;
    m.addDimensions({ provider: record.providerSlug, providerType: record.providerType });
    m.addMetric(record.outcome === "failure" ? "ProviderCallFailure" : "ProviderCallSuccess", "Count", 1);
    m.addMetric("ProviderCallLatency", "Milliseconds", record.latencyMs);
    m.publishStoredMetrics();
  },
  trace(info, runtime) {
    const t = tracer;
    if (runtime !== "aws" || !t || !t.isTracingEnabled()) return undefined;
    const parent = t.getSegment();
    if (!parent) return undefined;
    const sub = parent.addNewSubsegment(`provider ${info.providerSlug}`);
    sub.addAnnotation("provider", info.providerSlug);
    sub.addAnnotation("providerType", info.providerType);
    sub.addAnnotation("action", info.action);
    sub.addAnnotation("attempt", info.attempt);
    return (record) => {
      sub.addAnnotation("outcome", record.outcome);
      if (record.httpStatus) sub.addAnnotation("httpStatus", record.httpStatus);
      if (record.code) sub.addAnnotation("errorCode", record.code);
      sub.close();
    };
  },
  problem(message, error) {
    logger.warn(message, { error: error instanceof Error ? error.message : String(error) });
  },
};

/** Installs the sink into core's process-wide telemetry; on AWS, resolves once Metrics and Tracer are loaded. */
export async function installObservability(runtime: PlatformConfig["runtime"]): Promise<void> {
  useSink(powertoolsSink);
  if (runtime === "aws") await loadAws();
}
