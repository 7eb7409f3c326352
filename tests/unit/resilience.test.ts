import { ManualClock } from "@sambung/core/adapters/clock";
import { createLocalPorts, type LocalPorts } from "@sambung/core/adapters/local/index";
import type { Envelope } from "@sambung/core/event/envelope";
import { HttpTimeoutError } from "@sambung/core/port";
import * as Provider from "@sambung/core/provider/index";
import * as Features from "@sambung/core/provider/features";
import type { Provider as ProviderRecord } from "@sambung/core/provider/record";
import {
  classify,
  fullJitter,
  parseRetryAfter,
  Pipeline,
  policyOf,
  ProviderError,
  type BreakerState,
  type Run,
} from "@sambung/core/resilience/index";
import * as CallLog from "@sambung/core/telemetry/call-log";
import { Recorder } from "@sambung/core/telemetry/recorder";
import type { Principal } from "@sambung/core/tenant/model";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { refusedUrl, startFlakyProvider, type FlakyProvider } from "../fakes/flaky-provider.ts";
import { tempDir } from "../support/runtime.ts";

const principal: Principal = { kind: "user", userId: "usr_1", email: "owner@example.com", tenantId: "ten_res", role: "owner", superadmin: false };

interface World {
  ports: LocalPorts;
  clock: ManualClock;
  close: () => void;
}

function world(): World {
  const dir = tempDir("sambung-resilience-");
  const clock = new ManualClock(Date.parse("2026-03-02T10:00:00Z"));
  const ports = createLocalPorts(dir.path, clock, { allowPrivateUrls: true });
  return {
    ports,
    clock,
    close: () => {
      ports.database.close();
      dir.remove();
    },
  };
}

async function addProvider(ports: LocalPorts, name: string, baseUrl: string, config: Record<string, unknown> = {}, type = "sms"): Promise<ProviderRecord> {
  const view = await Provider.create(ports, principal, {
    type: type as "sms",
    name,
    apiFormat: type === "ai" ? "openai_compatible" : "rest_simple",
    baseUrl,
    secrets: { apiKey: `key-${name.replaceAll(" ", "-")}-123456` },
    config,
  });
  return Provider.get(ports, principal.tenantId, view.id);
}

async function map(ports: LocalPorts, featureKey: string, primary: ProviderRecord, fallback?: ProviderRecord): Promise<void> {
  await Features.put(ports, principal, { mappings: [{ featureKey, primaryProviderId: primary.id, fallbackProviderId: fallback?.id ?? null }] });
}

/** Sends one SMS-like POST through the attempt, as a format engine would. */
const send: Run<string> = async (provider, attempt) =>
  (
    await attempt.fetch({
      url: `${Provider.baseUrlOf(provider)}/messages`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "+62 812-3456-7890", text: "Your booking is confirmed", email: "siti.rahayu@example.com" }),
    })
  ).body;

function outboxEvents(ports: LocalPorts, type?: string): Envelope[] {
  const rows = ports.database.db.prepare("SELECT envelope FROM outbox ORDER BY seq").all() as { envelope: string }[];
  return rows.map((row) => JSON.parse(row.envelope) as Envelope).filter((envelope) => !type || envelope.type === type);
}

async function breakerOf(ports: LocalPorts, provider: ProviderRecord): Promise<BreakerState> {
  return new Pipeline({ cacheMs: 0 }).breakers.read(ports, provider.id);
}

describe("error classification", () => {
  it("retries 408, 425, 429 and 5xx; never 4xx; 401/403 are auth failures", () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(ProviderError.fromResponse({ status, headers: {} }).retryable, String(status)).toBe(true);
    for (const status of [400, 402, 404, 409, 422]) {
      const error = ProviderError.fromResponse({ status, headers: {} });
      expect(error.retryable).toBe(false);
      expect(error.code).toBe("rejected");
    }
    expect(ProviderError.fromResponse({ status: 401, headers: {} }).code).toBe("auth");
    expect(ProviderError.fromResponse({ status: 429, headers: { "Retry-After": "7" } })).toMatchObject({ code: "throttled", retryAfterMs: 7000, delivery: "yes" });
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-03-02T10:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Mon, 02 Mar 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("tells requests that never left from ambiguous ones", () => {
    const refused = classify(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }));
    expect(refused).toMatchObject({ code: "unreachable", retryable: true, delivery: "no" });
    const reset = classify(new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) }));
    expect(reset).toMatchObject({ code: "connection_reset", retryable: true, delivery: "maybe" });
    expect(classify(new HttpTimeoutError("https://api.example.com/x", 100))).toMatchObject({ code: "timeout", retryable: true, delivery: "maybe" });
    expect(classify(new Error("undefined is not a function"))).toMatchObject({ code: "error", retryable: false });
  });

  it("understands engines' own errors that carry status and retryable", () => {
    class GatewayError extends Error {
      readonly status?: number;
      readonly retryable: boolean;
      readonly kind: string;
      constructor(message: string, details: { status?: number; retryable: boolean; kind: string }) {
        super(message);
        this.status = details.status;
        this.retryable = details.retryable;
        this.kind = details.kind;
      }
    }
    expect(classify(new GatewayError("declined", { status: 402, retryable: false, kind: "declined" }))).toMatchObject({ code: "rejected", retryable: false });
    expect(classify(new GatewayError("down", { status: 503, retryable: true, kind: "unavailable" }))).toMatchObject({ code: "unavailable", retryable: true });
    expect(classify(new GatewayError("slow", { retryable: true, kind: "timeout" }))).toMatchObject({ code: "timeout", delivery: "maybe" });
  });

  it("backs off exponentially with full jitter, capped", () => {
    const retry = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1000, maxRetryAfterMs: 10_000 };
    expect(fullJitter(1, retry, () => 0.999)).toBeLessThan(200);
    expect(fullJitter(2, retry, () => 0.999)).toBeLessThan(400);
    expect(fullJitter(3, retry, () => 0.999)).toBeLessThan(800);
    expect(fullJitter(6, retry, () => 0.999)).toBeLessThan(1000);
    expect(fullJitter(3, retry, () => 0)).toBe(0);
  });

  it("takes timeouts from the record: 30 s, 120 s for AI, config.timeoutMs overrides", () => {
    const base = { config: {}, type: "sms" } as unknown as ProviderRecord;
    expect(policyOf(base).timeoutMs).toBe(30_000);
    expect(policyOf({ ...base, type: "ai" } as ProviderRecord).timeoutMs).toBe(120_000);
    expect(policyOf({ ...base, type: "ai", config: { timeoutMs: 5000 } } as ProviderRecord).timeoutMs).toBe(5000);
    expect(policyOf({ ...base, config: { breaker: { failureThreshold: 5, openSeconds: 10 }, rateLimit: { perSecond: 20 } } } as ProviderRecord)).toMatchObject({
      breaker: { failureThreshold: 5, openSeconds: 10 },
      rateLimit: { perSecond: 20, burst: 20 },
    });
    expect(policyOf({ ...base, config: { breaker: "nonsense", rateLimit: { perSecond: -1 } } } as ProviderRecord)).toMatchObject({
      breaker: { failureThreshold: 3, openSeconds: 60 },
      rateLimit: undefined,
    });
  });
});

describe("the call pipeline against simulated providers", () => {
  let w: World;
  let primaryFake: FlakyProvider;
  let fallbackFake: FlakyProvider;
  let primary: ProviderRecord;
  let fallback: ProviderRecord;
  let sleeps: number[];
  let pipeline: Pipeline;

  beforeAll(async () => {
    primaryFake = await startFlakyProvider();
    fallbackFake = await startFlakyProvider({ kind: "ok", body: { ok: true, via: "fallback" } });
  });
  afterAll(async () => {
    await primaryFake.close();
    await fallbackFake.close();
  });

  beforeEach(async () => {
    w = world();
    primaryFake.reset();
    fallbackFake.reset();
    primary = await addProvider(w.ports, "Primary SMS", primaryFake.url, { timeoutMs: 300 });
    fallback = await addProvider(w.ports, "Backup SMS", fallbackFake.url);
    await map(w.ports, "notify.sms", primary, fallback);
    sleeps = [];
    pipeline = new Pipeline({
      sleep: async (ms) => {
        sleeps.push(ms);
        w.clock.advance(ms);
      },
      random: () => 0.5,
      recorder: new Recorder({ logWrites: "await" }),
    });
  });
  afterEach(() => w.close());

  const call = (idempotent: boolean, run: Run<string> = send) =>
    pipeline.call(w.ports, { tenantId: principal.tenantId, featureKey: "notify.sms", action: "send_sms", idempotent, run });

  it("retries an idempotent call after a 5xx and succeeds on the primary", async () => {
    primaryFake.next({ kind: "status", status: 503 }, { kind: "status", status: 500 });
    const result = await call(true);
    expect(result).toMatchObject({ providerId: primary.id, usedFallback: false, attempts: 3 });
    expect(primaryFake.count()).toBe(3);
    expect(fallbackFake.count()).toBe(0);
    // Full jitter at random() = 0.5: half of 200 ms, then half of 400 ms.
    expect(sleeps).toEqual([100, 200]);
  });

  it("honours Retry-After, and moves to the fallback when it asks for too long", async () => {
    primaryFake.next({ kind: "status", status: 429, retryAfter: 3 });
    const waited = await call(true);
    expect(waited.usedFallback).toBe(false);
    expect(sleeps).toEqual([3000]);

    sleeps.length = 0;
    primaryFake.next({ kind: "status", status: 503, retryAfter: 3600 });
    const moved = await call(true);
    expect(moved).toMatchObject({ usedFallback: true, providerId: fallback.id, value: expect.stringContaining("fallback") });
    expect(sleeps).toEqual([]);
  });

  it("never retries nor falls back on a 4xx: the answer is the answer", async () => {
    primaryFake.next({ kind: "status", status: 402, body: { error: "card_declined" } });
    const error = await call(true).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "rejected", status: 402, retryable: false });
    expect(primaryFake.count()).toBe(1);
    expect(fallbackFake.count()).toBe(0);
    expect((await breakerOf(w.ports, primary)).failures).toBe(0);
  });

  it("sends a non-idempotent call at most once: no retry, no fallback after a 5xx, a timeout or a reset", async () => {
    for (const behaviour of [{ kind: "status", status: 500 }, { kind: "hang" }, { kind: "reset" }] as const) {
      primaryFake.reset();
      fallbackFake.reset();
      primaryFake.next(behaviour);
      const error = (await call(false).catch((thrown: unknown) => thrown)) as ProviderError;
      expect(error, behaviour.kind).toBeInstanceOf(ProviderError);
      expect(primaryFake.count(), behaviour.kind).toBe(1);
      expect(fallbackFake.count(), behaviour.kind).toBe(0);
      expect(error.code).toBe(behaviour.kind === "status" ? "unavailable" : behaviour.kind === "hang" ? "timeout" : "connection_reset");
      expect(error.trail).toEqual([expect.objectContaining({ providerId: primary.id, role: "primary", attempts: 1 })]);
    }
    expect(sleeps).toEqual([]);
  });

  it("falls back with a non-idempotent call only when the primary never received it (connection refused)", async () => {
    const dead = await addProvider(w.ports, "Dead SMS", await refusedUrl());
    await map(w.ports, "notify.sms", dead, fallback);
    const result = await call(false);
    expect(result).toMatchObject({ usedFallback: true, providerId: fallback.id, attempts: 2 });
    expect(fallbackFake.count()).toBe(1);
  });

  it("times an attempt out after the record's timeoutMs, whatever the run does", async () => {
    const started = performance.now();
    const error = (await pipeline
      .callProvider(w.ports, primary, { action: "status", idempotent: false, run: () => new Promise<string>(() => {}) })
      .catch((thrown: unknown) => thrown)) as ProviderError;
    const took = performance.now() - started;
    expect(error.code).toBe("timeout");
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
  });

  it("opens the breaker at the threshold, serves from the fallback, half-opens after the cool-down and closes on success", async () => {
    primaryFake.always({ kind: "status", status: 500 });
    // One idempotent call: three attempts on the primary, the third opens the breaker; the fallback serves.
    const first = await call(true);
    expect(first).toMatchObject({ usedFallback: true, providerId: fallback.id, attempts: 4 });
    expect(primaryFake.count()).toBe(3);
    const opened = await breakerOf(w.ports, primary);
    expect(opened).toMatchObject({ state: "open", incident: 1, failures: 3 });
    expect(outboxEvents(w.ports, "provider.circuit_opened")).toEqual([
      expect.objectContaining({ id: `evt_circuit_${primary.id}_1_opened`, tenantId: principal.tenantId, data: expect.objectContaining({ providerId: primary.id, failures: 3 }) }),
    ]);

    // While open: the primary is not called at all; non-idempotent calls may fall back too (never sent).
    const second = await call(false);
    expect(second).toMatchObject({ usedFallback: true, attempts: 1 });
    expect(primaryFake.count()).toBe(3);

    // The cool-down passes; the primary has recovered: the next call is the probe and closes the breaker.
    w.clock.advance(60_000);
    primaryFake.always({ kind: "ok" });
    const third = await call(true);
    expect(third).toMatchObject({ usedFallback: false, providerId: primary.id });
    expect(primaryFake.count()).toBe(4);
    expect(await breakerOf(w.ports, primary)).toMatchObject({ state: "closed", failures: 0 });
    expect(outboxEvents(w.ports, "provider.circuit_closed")).toHaveLength(1);
    expect(outboxEvents(w.ports, "provider.circuit_opened")).toHaveLength(1);
  });

  it("re-opens quietly when the half-open probe fails: one event pair per outage", async () => {
    primaryFake.always({ kind: "status", status: 502 });
    await call(true);
    w.clock.advance(61_000);
    const probe = await call(true);
    expect(probe.usedFallback).toBe(true);
    expect(primaryFake.count()).toBe(4); // the probe, and no retries of it: the breaker re-opened under it
    expect(await breakerOf(w.ports, primary)).toMatchObject({ state: "open", incident: 1 });
    expect(outboxEvents(w.ports, "provider.circuit_opened")).toHaveLength(1);
    expect(outboxEvents(w.ports, "provider.circuit_closed")).toHaveLength(0);
  });

  it("uses the record's breaker thresholds", async () => {
    const touchy = await addProvider(w.ports, "Touchy SMS", primaryFake.url, { breaker: { failureThreshold: 1, openSeconds: 5 }, retry: { maxAttempts: 1 } });
    await map(w.ports, "notify.sms", touchy, fallback);
    primaryFake.always({ kind: "status", status: 503 });
    await call(true);
    expect(await breakerOf(w.ports, touchy)).toMatchObject({ state: "open", openUntil: w.clock.now() + 5000 });
  });

  it("rate-limits per provider across pipelines sharing the store, and falls back when limited", async () => {
    const limited = await addProvider(w.ports, "Limited SMS", primaryFake.url, { rateLimit: { perSecond: 2, burst: 2 } });
    await map(w.ports, "notify.sms", limited, fallback);
    const other = new Pipeline({ recorder: new Recorder({ logWrites: "await" }) });
    const viaOther = () => other.call(w.ports, { tenantId: principal.tenantId, featureKey: "notify.sms", action: "send_sms", idempotent: true, run: send });
    expect((await call(true)).usedFallback).toBe(false);
    expect((await viaOther()).usedFallback).toBe(false);
    expect((await call(true)).usedFallback).toBe(true);
    expect((await viaOther()).usedFallback).toBe(true);
    expect(primaryFake.count()).toBe(2);
    w.clock.advance(500);
    expect((await viaOther()).usedFallback).toBe(false);
    expect(primaryFake.count()).toBe(3);

    // Without a fallback the caller gets a clear, retryable error.
    await map(w.ports, "notify.sms", limited);
    pipeline.forget(); // the mapping changed: do not wait out the 1 s resolution memory
    const error = (await call(true).catch((thrown: unknown) => thrown)) as ProviderError;
    expect(error).toMatchObject({ code: "rate_limited", retryable: true });
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it("logs every attempt with PII masked and pages the log newest first", async () => {
    primaryFake.next({ kind: "status", status: 500, body: { error: "boom for siti.rahayu@example.com" } });
    await call(true);
    const page = await CallLog.page(w.ports, principal.tenantId, primary.id, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.cursor).toBeDefined();
    const next = await CallLog.page(w.ports, principal.tenantId, primary.id, { limit: 5, cursor: page.cursor });
    const [latest] = page.items;
    const [earlier] = next.items;
    expect(latest).toMatchObject({ outcome: "success", attempt: 2, httpStatus: 200, action: "send_sms", role: "primary", featureKey: "notify.sms" });
    expect(earlier).toMatchObject({ outcome: "failure", attempt: 1, httpStatus: 500, code: "unavailable" });
    const text = JSON.stringify([latest, earlier]);
    expect(text).not.toContain("siti.rahayu");
    expect(text).not.toContain("3456-78");
    expect(text).toContain("@example.com");
    expect(earlier?.latencyMs).toBeGreaterThan(0);
    const stored = await w.ports.store.query(CallLog.callLogPk(principal.tenantId, primary.id));
    expect(stored.items[0]?.ttl).toBe(Math.floor(w.clock.now() / 1000) + 30 * 86_400);
  });
});

describe("one breaker across concurrent workers", () => {
  it("8 pipelines with their own caches over one store: opens once, one event, one half-open probe", async () => {
    const w = world();
    const failing = await startFlakyProvider({ kind: "status", status: 500 });
    const backup = await startFlakyProvider();
    try {
      const primary = await addProvider(w.ports, "Shared SMS", failing.url);
      const fallback = await addProvider(w.ports, "Shared Backup", backup.url);
      await map(w.ports, "notify.sms", primary, fallback);
      const workers = Array.from({ length: 8 }, () => new Pipeline({ sleep: async () => {}, recorder: new Recorder({ logWrites: "behind" }) }));
      const callVia = (worker: Pipeline) =>
        worker.call(w.ports, { tenantId: principal.tenantId, featureKey: "notify.sms", action: "send_sms", idempotent: true, run: send });

      // Every worker sends three calls at once while the primary fails.
      const results = await Promise.all(workers.flatMap((worker) => [callVia(worker), callVia(worker), callVia(worker)]));
      expect(results.every((result) => result.usedFallback)).toBe(true);
      const state = await breakerOf(w.ports, primary);
      expect(state).toMatchObject({ state: "open", incident: 1 });
      expect(outboxEvents(w.ports, "provider.circuit_opened")).toHaveLength(1);
      const duringOutage = failing.count();

      // Once open, every worker stops calling the primary (after its cache, at most 1 s, catches up).
      w.clock.advance(1_000);
      await Promise.all(workers.map(callVia));
      expect(failing.count()).toBe(duringOutage);

      // After the cool-down the primary is back but slow: all eight race for the probe, one wins.
      w.clock.advance(60_000);
      failing.always({ kind: "ok", delayMs: 150 });
      const probeRound = await Promise.all(workers.map(callVia));
      expect(failing.count()).toBe(duringOutage + 1);
      expect(probeRound.filter((result) => !result.usedFallback)).toHaveLength(1);
      expect(await breakerOf(w.ports, primary)).toMatchObject({ state: "closed", incident: 1 });
      expect(outboxEvents(w.ports, "provider.circuit_closed")).toHaveLength(1);
      expect(outboxEvents(w.ports, "provider.circuit_opened")).toHaveLength(1);
      await Promise.all(workers.map((worker) => worker.recorder.flush(w.ports)));
    } finally {
      await failing.close();
      await backup.close();
      w.close();
    }
  });
});
