import { ManualClock } from "@sambung/core/adapters/clock";
import { createLocalPorts, type LocalPorts } from "@sambung/core/adapters/local/index";
import type { Envelope } from "@sambung/core/event/envelope";
import * as Provider from "@sambung/core/provider/index";
import type { Provider as ProviderRecord } from "@sambung/core/provider/record";
import type { CallRecord } from "@sambung/core/telemetry/call-log";
import * as Health from "@sambung/core/telemetry/health";
import { add, emptyHistogram, exactQuantile, merge, quantiles, RELATIVE_ACCURACY } from "@sambung/core/telemetry/histogram";
import { maskPii, maskText, summarize } from "@sambung/core/telemetry/pii";
import { Recorder } from "@sambung/core/telemetry/recorder";
import { readWindow, rollupPk } from "@sambung/core/telemetry/rollup";
import type { Principal } from "@sambung/core/tenant/model";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prng } from "../support/prng.ts";
import { tempDir } from "../support/runtime.ts";

/** Latencies shaped like a provider's: a log-normal body around 120 ms, a slow tail, some very fast cache hits. */
function latencies(count: number, seed = 42): number[] {
  const random = prng(seed);
  const out: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const u = Math.max(1e-12, random());
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    const roll = random();
    if (roll < 0.03) out.push(2000 + random() * 28_000);
    else if (roll < 0.08) out.push(0.2 + random() * 2);
    else out.push(Math.exp(Math.log(120) + 0.6 * normal));
  }
  return out;
}

const QS = [0.5, 0.95, 0.99] as const;

function relativeError(estimate: number, exact: number): number {
  return Math.abs(estimate - exact) / exact;
}

describe("latency histogram", () => {
  it(`keeps P50/P95/P99 within ${RELATIVE_ACCURACY * 100}% of the exact values over 100,000 calls, merged from 60 minutes`, () => {
    const values = latencies(100_000);
    const minutes = Array.from({ length: 60 }, () => emptyHistogram());
    values.forEach((value, index) => add(minutes[index % 60] ?? emptyHistogram(), value));
    const merged = minutes.reduce((total, minute) => merge(total, minute), emptyHistogram());
    const sorted = values.toSorted((a, b) => a - b);
    const estimates = quantiles(merged, QS);
    QS.forEach((q, index) => {
      const exact = exactQuantile(sorted, q);
      expect(relativeError(estimates[index] ?? 0, exact), `p${q * 100}: ${estimates[index]} vs ${exact}`).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
    });
    // Every quantile, not just three.
    for (let q = 0.01; q < 1; q += 0.01) {
      const [estimate = 0] = quantiles(merged, [q]);
      expect(relativeError(estimate, exactQuantile(sorted, q))).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
    }
    const buckets = Object.keys(merged.b).length;
    expect(buckets).toBeLessThan(1100);
  });

  it("reads zeros as zero and an empty histogram as zeros", () => {
    const histogram = emptyHistogram();
    expect(quantiles(histogram, QS)).toEqual([0, 0, 0]);
    add(histogram, 0);
    add(histogram, 0);
    add(histogram, 10);
    expect(quantiles(histogram, [0.5, 1])[0]).toBe(0);
    expect(relativeError(quantiles(histogram, [1])[0] ?? 0, 10)).toBeLessThanOrEqual(RELATIVE_ACCURACY);
  });
});

describe("PII masking", () => {
  it("masks card numbers (Luhn), e-mails, phones and tokens in text", () => {
    const text = maskText("card 4111 1111 1111 1111 for siti@example.co.id, call +62 812-3456-7890 or 081234567890, Bearer abcdefghijklmnop, order 1234567890123");
    expect(text).not.toContain("4111 1111 1111");
    expect(text).toContain("1111"); // the last four stay
    expect(text).not.toContain("siti@");
    expect(text).toContain("@example.co.id");
    expect(text).not.toContain("3456-78");
    expect(text).not.toContain("0812345678");
    expect(text).not.toContain("abcdefghijklmnop");
    expect(text).toContain("1234567890123"); // not a card number (fails Luhn): left alone
    expect(maskText("2026-03-02T10:00:00Z")).toBe("2026-03-02T10:00:00Z");
  });

  it("masks by key in objects, JSON, form and XML bodies", () => {
    const masked = maskPii({
      customer: { first_name: "Siti", last_name: "Rahayu", email: "siti@example.com", phone: "081234567890" },
      card: { number: "4111111111111111", cvv: "123", holder: "SITI RAHAYU" },
      api_key: "abc123456789",
      amount: 150000,
      hotel: "Villa Ubud",
    });
    const text = JSON.stringify(masked);
    for (const leaked of ["Siti", "Rahayu", "siti@", "0812345678", "411111111111", '"123"', "abc123456789", "SITI"]) expect(text, leaked).not.toContain(leaked);
    expect(masked).toMatchObject({ amount: 150000, hotel: "Villa Ubud", card: { cvv: "[redacted]" } });

    const json = maskPii('{"guest":{"name":"Budi Santoso","email":"budi@example.com"},"nights":2}');
    expect(json).not.toContain("Budi");
    expect(json).toContain('"nights":2');

    const form = maskPii("To=%2B6281234567890&Body=Hello+Budi&From=%2B15005550006&customer_name=Budi+Santoso");
    expect(form).not.toContain("6281234567890");
    expect(form).not.toContain("Santoso");

    const xml = maskPii("<Profile><GivenName>Budi</GivenName><Surname>Santoso</Surname><Email>budi@example.com</Email><RoomType>DLX</RoomType></Profile>");
    expect(xml).not.toContain("Budi");
    expect(xml).not.toContain("Santoso");
    expect(xml).toContain("<RoomType>DLX</RoomType>");
  });

  it("bounds summaries", () => {
    const long = summarize("x".repeat(5000), 100) ?? "";
    expect(long.length).toBeLessThan(150);
    expect(long).toContain("4900 more characters");
  });
});

const principal: Principal = { kind: "user", userId: "usr_1", email: "owner@example.com", tenantId: "ten_tel", role: "owner", superadmin: false };

function record(provider: ProviderRecord, at: number, latencyMs: number, outcome: CallRecord["outcome"]): CallRecord {
  return {
    id: `c${at}${Math.random().toString(36).slice(2, 8)}`,
    at: new Date(at).toISOString(),
    tenantId: provider.tenantId,
    providerId: provider.id,
    providerSlug: provider.slug,
    providerType: provider.type,
    action: "send_sms",
    role: "primary",
    attempt: 1,
    idempotent: true,
    outcome,
    latencyMs,
    ...(outcome === "failure" ? { code: "unavailable", httpStatus: 503, error: "the provider answered HTTP 503" } : {}),
  };
}

describe("rollups and the health report", () => {
  let dir: ReturnType<typeof tempDir>;
  let ports: LocalPorts;
  let clock: ManualClock;
  let provider: ProviderRecord;

  beforeEach(async () => {
    dir = tempDir("sambung-telemetry-");
    clock = new ManualClock(Date.parse("2026-03-02T10:00:00Z"));
    ports = createLocalPorts(dir.path, clock);
    const view = await Provider.create(ports, principal, { type: "sms", name: "Rollup SMS", apiFormat: "rest_simple", baseUrl: "https://sms.example.com", secrets: { apiKey: "k-123456" } });
    provider = await Provider.get(ports, principal.tenantId, view.id);
  });
  afterEach(() => {
    ports.database.close();
    dir.remove();
  });

  it("answers an hour of 100,000 calls from ≤ 60 minute items, within the histogram's error", async () => {
    const recorder = new Recorder({ logWrites: "behind", flushIntervalMs: 60_000, maxBuffered: 10_000 });
    const values = latencies(100_000, 7);
    const start = clock.now();
    let failures = 0;
    for (const [index, value] of values.entries()) {
      const at = start + Math.floor((index / values.length) * 60) * 60_000;
      const outcome = index % 50 === 0 ? "failure" : "success";
      if (outcome === "failure") failures += 1;
      // Straight into the rollup path: 100,000 call-log writes are not what this test is about.
      (recorder as unknown as { accumulate(record: CallRecord, atMs: number): void }).accumulate(record(provider, at, value, outcome), at);
    }
    await recorder.flush(ports);
    clock.set(start + 59 * 60_000 + 30_000);
    const hour = await readWindow(ports, principal.tenantId, provider.id, "1h");
    expect(hour.items).toBe(60);
    expect(hour.calls).toBe(100_000);
    expect(hour.failures).toBe(failures);
    const sorted = values.toSorted((a, b) => a - b);
    const estimates = quantiles(hour.hist, QS);
    QS.forEach((q, index) => expect(relativeError(estimates[index] ?? 0, exactQuantile(sorted, q))).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9));

    // 24 h and 7 d come from hour items: one here.
    const day = await readWindow(ports, principal.tenantId, provider.id, "24h");
    expect(day.items).toBe(1);
    expect(day.calls).toBe(100_000);
    const week = await readWindow(ports, principal.tenantId, provider.id, "7d");
    expect(week.items).toBe(1);
    expect(quantiles(week.hist, QS)).toEqual(estimates);
  });

  it("reports an hour of 50 busy providers from their rollups: ≤ 60 items each, no call log", async () => {
    const providers = [provider];
    for (let index = 1; index < 50; index += 1) {
      const view = await Provider.create(ports, principal, { type: "sms", name: `SMS ${index}`, apiFormat: "rest_simple", baseUrl: "https://sms.example.com", secrets: { apiKey: "k-123456" } });
      providers.push(await Provider.get(ports, principal.tenantId, view.id));
    }
    const recorder = new Recorder({ flushIntervalMs: 600_000, maxBuffered: 100_000 });
    const accumulate = (recorder as unknown as { accumulate(record: CallRecord, atMs: number): void }).accumulate.bind(recorder);
    const start = clock.now();
    for (const each of providers) for (let minute = 0; minute < 60; minute += 1) for (let call = 0; call < 20; call += 1) {
      accumulate(record(each, start + minute * 60_000, 20 + call * 5, call < 2 ? "failure" : "success"), start + minute * 60_000);
    }
    await recorder.flush(ports);
    clock.set(start + 59 * 60_000 + 1_000);
    const reads: string[] = [];
    const query = ports.store.query.bind(ports.store);
    ports.store.query = async (pk, options) => {
      const page = await query(pk, options);
      reads.push(...page.items.map((item) => item.pk));
      return page;
    };
    const started = performance.now();
    const report = await Health.report(ports, principal.tenantId, "1h");
    const took = performance.now() - started;
    expect(report.providers).toHaveLength(50);
    expect(report.providers.map((row) => [row.calls, row.failures, row.alerting])).toEqual(providers.map(() => [1200, 120, true]));
    const rollupReads = reads.filter((pk) => pk.startsWith("ROLLUP#"));
    expect(rollupReads.length).toBeLessThanOrEqual(50 * 60);
    expect(reads.some((pk) => pk.startsWith("CALLS#"))).toBe(false);
    expect(took).toBeLessThan(5_000);
  });

  it("merges deltas from many processes into one item per minute with conditional writes", async () => {
    const recorders = Array.from({ length: 8 }, () => new Recorder({ logWrites: "behind", flushIntervalMs: 60_000 }));
    const at = clock.now();
    await Promise.all(recorders.map((recorder, index) => recorder.record(ports, record(provider, at, 10 + index, "success"), at)));
    await Promise.all(recorders.map((recorder) => recorder.flush(ports)));
    const items = await ports.store.query(rollupPk(principal.tenantId, provider.id));
    expect(items.items.map((item) => item.sk)).toEqual(["H#2026-03-02T10", "M#2026-03-02T10:00"]);
    expect(items.items.every((item) => item.data.calls === 8)).toBe(true);
  });

  it("flags a provider above 5% failures over the last hour and raises provider.alerting once per incident", async () => {
    const recorder = new Recorder({ logWrites: "behind" });
    const at = clock.now();
    for (let index = 0; index < 100; index += 1) await recorder.record(ports, record(provider, at, 50, index < 10 ? "failure" : "success"), at);
    await recorder.flush(ports);

    const first = await Health.report(ports, principal.tenantId, "1h");
    const row = first.providers.find((entry) => entry.providerId === provider.id);
    expect(row).toMatchObject({ calls: 100, failures: 10, alerting: true, successRate: 0.9, lastError: { code: "unavailable", status: 503 } });
    expect(row?.p50).toBeCloseTo(50, -0.5);
    await Health.report(ports, principal.tenantId, "24h");
    await Health.watch(ports);
    const alerts = () =>
      (ports.database.db.prepare("SELECT envelope FROM outbox").all() as { envelope: string }[])
        .map((entry) => JSON.parse(entry.envelope) as Envelope)
        .filter((envelope) => envelope.type === "provider.alerting");
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.data).toMatchObject({ providerId: provider.id, failureRate: 0.1, windowMinutes: 60 });

    // An hour later the failures have aged out: the incident closes, quietly.
    clock.advance(61 * 60_000);
    for (let index = 0; index < 20; index += 1) await recorder.record(ports, record(provider, clock.now(), 50, "success"), clock.now());
    await recorder.flush(ports);
    expect((await Health.report(ports, principal.tenantId, "1h")).providers[0]?.alerting).toBe(false);
    expect(alerts()).toHaveLength(1);

    // A new breach is a new incident, and a second event.
    for (let index = 0; index < 5; index += 1) await recorder.record(ports, record(provider, clock.now(), 50, "failure"), clock.now());
    await recorder.flush(ports);
    const watched = await Health.watch(ports);
    expect(watched.alerting).toEqual([provider.id]);
    expect(alerts()).toHaveLength(2);
    expect(await Health.incidents(ports, principal.tenantId, provider.id)).toHaveLength(2);
  });
});
