import type { ProviderView } from "@sambung/core/provider/index";
import * as Provider from "@sambung/core/provider/index";
import * as Resilience from "@sambung/core/resilience/index";
import type { CallRecord, HealthReport } from "@sambung/core/telemetry/index";
import * as Telemetry from "@sambung/core/telemetry/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlakyProvider, type FlakyProvider } from "../fakes/flaky-provider.ts";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";

let hub: TestRuntime;
let fake: FlakyProvider;
let sms: ProviderView;
let tenantId: string;
let other: { token: string };

beforeAll(async () => {
  hub = await startTestRuntime({ allowPrivateUrls: true });
  fake = await startFlakyProvider({ kind: "ok", delayMs: 3 });
  const created = await hub.api<ProviderView>("POST", "/api/admin/providers", {
    type: "sms",
    name: "Gateway SMS",
    apiFormat: "rest_simple",
    baseUrl: fake.url,
    secrets: { apiKey: "sms-key-0123456789" },
  });
  expect(created.status).toBe(201);
  sms = created.body;
  tenantId = sms.tenantId;
  expect((await hub.api("PUT", "/api/admin/features", { mappings: [{ featureKey: "notify.sms", primaryProviderId: sms.id }] })).status).toBe(200);
  const tenant = await hub.api("POST", "/api/admin/tenants", { name: "Other Inn", owner: { email: "inn@example.com", password: "another long password" } });
  expect(tenant.status).toBe(201);
  other = { token: (await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "inn@example.com", password: "another long password" })).body.token };
});

afterAll(async () => {
  await fake.close();
  await hub.close();
});

/** One SMS through the process's pipeline, the way a handler in this runtime sends one. */
async function sendSms(idempotent = false) {
  return Resilience.call(hub.ports, {
    tenantId,
    featureKey: "notify.sms",
    action: "send_sms",
    idempotent,
    run: async (provider, attempt) =>
      (
        await attempt.fetch({
          url: `${Provider.baseUrlOf(provider)}/send`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: "+6281234567890", text: "Kamar 12 siap" }),
        })
      ).body,
  });
}

async function health(window = "1h") {
  const { status, body } = await hub.api<HealthReport>("GET", `/api/admin/health?window=${window}`);
  expect(status).toBe(200);
  const row = body.providers.find((entry) => entry.providerId === sms.id);
  expect(row).toBeDefined();
  return row as NonNullable<typeof row>;
}

describe("integration health over real HTTP", () => {
  it("shows calls, success rate and percentiles after some calls", async () => {
    for (let index = 0; index < 40; index += 1) await sendSms();
    const row = await health();
    expect(row).toMatchObject({ calls: 40, failures: 0, successRate: 1, alerting: false, breaker: { state: "closed" } });
    expect(row.p50).toBeGreaterThan(1);
    expect(row.p99).toBeGreaterThanOrEqual(row.p95);
    expect(row.p95).toBeGreaterThanOrEqual(row.p50);
  });

  it("flags a provider above 5% failures as alerting, with one provider.alerting event however often it is read", async () => {
    fake.always({ kind: "status", status: 503 });
    for (let index = 0; index < 5; index += 1) await expect(sendSms()).rejects.toBeInstanceOf(Resilience.ProviderError);
    // Three failures opened the breaker; the last two were never sent.
    expect(fake.count()).toBe(43);
    const row = await health();
    expect(row).toMatchObject({ calls: 43, failures: 3, alerting: true, breaker: { state: "open", consecutiveFailures: 3 }, lastError: { status: 503, code: "unavailable" } });
    expect(row.successRate).toBeCloseTo(40 / 43, 6);
    expect(row.lastHour.failureRate).toBeGreaterThan(0.05);
    await health();
    await health("24h");
    const incidents = await Telemetry.incidents(hub.ports, tenantId, sms.id);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ incident: 1, eventId: `evt_alert_${sms.id}_1` });
    const opened = await hub.ports.store.query(`RES#${sms.id}`, { prefix: "TRANSITION#" });
    expect(opened.items.map((item) => item.data.kind)).toEqual(["opened"]);
  });

  it("answers 24 h and 7 d windows from hourly rollups, and refuses an unknown window", async () => {
    const day = await health("24h");
    const week = await health("7d");
    expect(day).toMatchObject({ calls: 43, failures: 3 });
    expect(week).toMatchObject({ calls: 43, failures: 3 });
    const bad = await hub.api<{ error: { message: string } }>("GET", "/api/admin/health?window=2h");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("query.window");
  });

  it("pages a provider's call log newest first, and hides it from other tenants", async () => {
    const seen: CallRecord[] = [];
    let cursor: string | undefined;
    do {
      const { status, body } = await hub.api<{ items: CallRecord[]; cursor?: string }>(
        "GET",
        `/api/admin/providers/${sms.id}/calls?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(20);
      seen.push(...body.items);
      cursor = body.cursor;
    } while (cursor);
    expect(seen).toHaveLength(45);
    expect(seen.filter((entry) => entry.outcome === "skipped")).toHaveLength(2);
    expect(seen[0]?.outcome).toBe("skipped");
    expect(seen.at(-1)?.outcome).toBe("success");
    expect(seen.map((entry) => entry.at)).toEqual(seen.map((entry) => entry.at).toSorted().reverse());
    expect(JSON.stringify(seen)).not.toContain("81234567890");

    const foreign = await call<{ error: { code: string } }>(hub.url, "GET", `/api/admin/providers/${sms.id}/calls`, undefined, { authorization: `Bearer ${other.token}` });
    expect(foreign.status).toBe(404);
    const foreignHealth = await call<HealthReport>(hub.url, "GET", "/api/admin/health", undefined, { authorization: `Bearer ${other.token}` });
    expect(foreignHealth.status).toBe(200);
    expect(foreignHealth.body.providers).toEqual([]);
    expect((await hub.api("GET", `/api/admin/providers/${sms.id}/calls`, undefined, { authorization: "" })).status).toBe(401);
  });
});
