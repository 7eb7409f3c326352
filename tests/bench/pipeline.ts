import { systemClock } from "@sambung/core/adapters/clock";
import { createLocalPorts } from "@sambung/core/adapters/local/index";
import * as Provider from "@sambung/core/provider/index";
import * as Features from "@sambung/core/provider/features";
import { Pipeline, type Run } from "@sambung/core/resilience/index";
import { Recorder } from "@sambung/core/telemetry/recorder";
import { readWindow } from "@sambung/core/telemetry/rollup";
import type { Principal } from "@sambung/core/tenant/model";
import { powertoolsSink } from "@sambung/functions/observability";
import { tempDir } from "../support/runtime.ts";
import { percentile, type Bench } from "./report.ts";
import { startBareServer } from "./servers.ts";

const ROUNDS = Number(process.env.BENCH_PIPELINE_ROUNDS ?? 10);
const PER_ROUND = Number(process.env.BENCH_PIPELINE_CALLS ?? 500);

const principal: Principal = { kind: "user", userId: "usr_bench", email: "bench@example.com", tenantId: "ten_bench", role: "owner", superadmin: false };

async function timed(fn: () => Promise<unknown>, count: number, into: number[]): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await fn();
    into.push(performance.now() - started);
  }
}

function describe(label: string, samples: number[]): string {
  const sorted = samples.toSorted((a, b) => a - b);
  const p = (q: number) => percentile(sorted, q).toFixed(3).padStart(7);
  return `${label.padEnd(44)} p50 ${p(50)} ms  p90 ${p(90)} ms  p99 ${p(99)} ms  (${samples.length} calls)`;
}

/**
 * Issue #6: what the resilience pipeline costs per provider call — feature
 * resolution, rate-limit and breaker checks, timeout, the call-log item, the
 * rollup and the log sink — next to a bare `fetch` of the same local node:http
 * server, one call at a time, in interleaved rounds so both see the same machine.
 */
export const pipeline: Bench = async () => {
  const bare = await startBareServer();
  const dir = tempDir("sambung-bench-pipeline-");
  const ports = createLocalPorts(dir.path, systemClock, { allowPrivateUrls: true });
  try {
    const view = await Provider.create(ports, principal, {
      type: "sms",
      name: "Bench SMS",
      apiFormat: "rest_simple",
      baseUrl: bare.url,
      secrets: { apiKey: "bench-key-0123456789" },
    });
    const provider = await Provider.get(ports, principal.tenantId, view.id);
    await Features.put(ports, principal, { mappings: [{ featureKey: "notify.sms", primaryProviderId: provider.id }] });
    const recorder = new Recorder({ sink: powertoolsSink });
    const resilient = new Pipeline({ recorder });
    const body = JSON.stringify({ to: "+6281234567890", text: "Kamar 12 siap" });
    const url = `${bare.url}/send`;

    const direct = async () => {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
      await response.text();
    };
    const run: Run<string> = async (_provider, attempt) =>
      (await attempt.fetch({ url, method: "POST", headers: { "content-type": "application/json" }, body })).body;
    const viaFeature = () => resilient.call(ports, { tenantId: principal.tenantId, featureKey: "notify.sms", action: "send_sms", idempotent: false, run });
    const viaProvider = () => resilient.callProvider(ports, provider, { action: "send_sms", idempotent: false, run });
    // As on AWS: the call-log item is written before the call returns.
    const awaiting = new Pipeline({ recorder: new Recorder({ sink: powertoolsSink, logWrites: "await" }) });
    const viaAwaiting = () => awaiting.call(ports, { tenantId: principal.tenantId, featureKey: "notify.sms", action: "send_sms", idempotent: false, run });

    // Warm-up: connections, JIT, statement cache.
    await timed(direct, 300, []);
    await timed(viaFeature, 300, []);
    await timed(viaProvider, 300, []);
    await timed(viaAwaiting, 300, []);

    const directSamples: number[] = [];
    const featureSamples: number[] = [];
    const providerSamples: number[] = [];
    const awaitingSamples: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      await timed(direct, PER_ROUND, directSamples);
      await timed(viaFeature, PER_ROUND, featureSamples);
      await timed(viaProvider, PER_ROUND, providerSamples);
      await timed(viaAwaiting, PER_ROUND, awaitingSamples);
    }
    await awaiting.recorder.flush(ports);
    await recorder.flush(ports);
    const logged = (await readWindow(ports, principal.tenantId, provider.id, "1h")).calls;

    const p50 = (samples: number[]) => percentile(samples.toSorted((a, b) => a - b), 50);
    const ratio = p50(featureSamples) / p50(directSamples);
    const providerRatio = p50(providerSamples) / p50(directSamples);
    return {
      title: "Resilience pipeline: overhead per provider call vs a direct fetch (issue #6)",
      lines: [
        describe("direct fetch to node:http", directSamples),
        describe("Resilience call (feature → provider)", featureSamples),
        describe("Resilience callProvider (provider given)", providerSamples),
        describe("Resilience call, call log awaited (AWS mode)", awaitingSamples),
        `p50 ratio call/direct: ${ratio.toFixed(2)}x; callProvider/direct: ${providerRatio.toFixed(2)}x; log awaited/direct: ${(p50(awaitingSamples) / p50(directSamples)).toFixed(2)}x; overhead at p50 ${(p50(featureSamples) - p50(directSamples)).toFixed(3)} ms`,
        `rollup counted ${logged} calls (call log + rollup + log sink on every call)`,
      ],
      checks: [{ name: "pipeline p50 ratio vs direct fetch", value: ratio, unit: "x", target: "≤ 1.3", pass: ratio <= 1.3 }],
    };
  } finally {
    ports.database.close();
    dir.remove();
    await bare.stop();
  }
};
