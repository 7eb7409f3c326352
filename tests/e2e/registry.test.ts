import type { AuditEntry } from "@sambung/core/audit/index";
import type { ProviderView } from "@sambung/core/provider/index";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/** A value that must never come back out of the hub: not in responses, logs, audit or files in clear. */
const CANARY = "canary-secret-Zq81vX0pLm";

let hub: TestRuntime;
let other: { token: string; tenantId: string };
const responses: string[] = [];
const logs: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

async function api<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const result = await hub.api<T>(method, path, body, headers);
  responses.push(JSON.stringify(result.body ?? ""));
  return result;
}

beforeAll(async () => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    logs.push(String(chunk));
    return originalWrite(chunk, ...rest);
  }) as typeof process.stdout.write;
  hub = await startTestRuntime();
  const created = await api<{ tenant: { id: string } }>("POST", "/api/admin/tenants", {
    name: "Other Resort",
    owner: { email: "other@example.com", password: "another long password" },
  });
  expect(created.status).toBe(201);
  const login = await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "other@example.com", password: "another long password" });
  other = { token: login.body.token, tenantId: created.body.tenant.id };
});

afterAll(async () => {
  process.stdout.write = originalWrite;
  await hub.close();
});

function midtrans(overrides: Record<string, unknown> = {}) {
  return {
    type: "payment",
    name: "Midtrans Snap",
    apiFormat: "redirect_flow",
    baseUrl: "https://app.midtrans.example/snap/v1",
    secrets: { serverKey: CANARY },
    config: { signature: { method: "midtrans_signature_key" } },
    ...overrides,
  };
}

describe("sign-in and access", () => {
  it("refuses calls without a session, with a bad password, or with a tampered token", async () => {
    expect((await api("GET", "/api/admin/providers", undefined, { authorization: "" })).status).toBe(401);
    const bad = await call<{ error: { message: string } }>(hub.url, "POST", "/api/auth/login", { email: "owner@example.com", password: "wrong password!" });
    expect(bad.status).toBe(401);
    expect(bad.body.error.message).toContain("do not match");
    const tampered = `${hub.token.slice(0, -3)}AAA`;
    expect((await api("GET", "/api/admin/providers", undefined, { authorization: `Bearer ${tampered}` })).status).toBe(401);
  });

  it("expires sessions after an hour", async () => {
    const token = (await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "owner@example.com", password: "correct horse battery" })).body.token;
    hub.clock.advance(61 * 60_000);
    const expired = await api<{ error: { message: string } }>("GET", "/api/auth/me", undefined, { authorization: `Bearer ${token}` });
    hub.clock.advance(-61 * 60_000);
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toContain("expired");
  });

  it("lets a viewer read but not change", async () => {
    await api("POST", "/api/admin/users", { email: "viewer@example.com", password: "viewer password 1", role: "viewer" });
    const token = (await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "viewer@example.com", password: "viewer password 1" })).body.token;
    const auth = { authorization: `Bearer ${token}` };
    expect((await api("GET", "/api/admin/providers", undefined, auth)).status).toBe(200);
    const denied = await api<{ error: { message: string } }>("POST", "/api/admin/providers", midtrans({ name: "Nope" }), auth);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain("admin");
  });
});

describe("providers", () => {
  let provider: ProviderView;

  it("creates a provider with sealed secrets, shown only masked", async () => {
    const created = await api<ProviderView>("POST", "/api/admin/providers", midtrans());
    expect(created.status).toBe(201);
    provider = created.body;
    expect(provider.slug).toBe("midtrans-snap");
    expect(provider.secrets).toEqual({ serverKey: "••••pLm".replace("pLm", "0pLm") });
    expect(provider.webhookUrl).toContain("/webhook/payment/midtrans-snap");
    expect(provider.lastTest).toEqual({ status: "never" });
  });

  it("refuses what the format can't use, naming the field", async () => {
    const missing = await api<{ error: { message: string } }>("POST", "/api/admin/providers", midtrans({ name: "No key", secrets: {} }));
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("serverKey");
    const wrongType = await api<{ error: { message: string } }>("POST", "/api/admin/providers", midtrans({ type: "sms" }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain("redirect_flow is for payment");
    const taken = await api("POST", "/api/admin/providers", midtrans({ slug: "midtrans-snap" }));
    expect(taken.status).toBe(409);
    const badSlug = await api<{ error: { issues: { path: string }[] } }>("POST", "/api/admin/providers", midtrans({ slug: "Bad Slug" }));
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.error.issues[0]?.path).toBe("body.slug");
  });

  it("keeps a secret an update leaves out, and replaces one it gives", async () => {
    const renamed = await api<ProviderView>("PATCH", `/api/admin/providers/${provider.id}`, { name: "Midtrans (main)", testMode: false });
    expect(renamed.status).toBe(200);
    expect(renamed.body.secrets.serverKey).toBe("••••0pLm");
    const rekeyed = await api<ProviderView>("PATCH", `/api/admin/providers/${provider.id}`, { secrets: { serverKey: `${CANARY}-new-9999` } });
    expect(rekeyed.body.secrets.serverKey).toBe("••••9999");
    const unknownField = await api("PATCH", `/api/admin/providers/${provider.id}`, { apiFormat: "qris_dynamic" });
    expect(unknownField.status).toBe(400);
  });

  it("hides every tenant's providers from every other tenant", async () => {
    const asOther = { authorization: `Bearer ${other.token}` };
    expect((await api("GET", `/api/admin/providers/${provider.id}`, undefined, asOther)).status).toBe(404);
    expect((await api("PATCH", `/api/admin/providers/${provider.id}`, { name: "x" }, asOther)).status).toBe(404);
    expect((await api("DELETE", `/api/admin/providers/${provider.id}`, undefined, asOther)).status).toBe(404);
    const list = await api<{ items: ProviderView[] }>("GET", "/api/admin/providers", undefined, asOther);
    expect(list.body.items).toEqual([]);
    // The superadmin may act in the other tenant, explicitly.
    const asSuper = await api<{ items: ProviderView[] }>("GET", "/api/admin/providers", undefined, { "x-sambung-tenant": other.tenantId });
    expect(asSuper.status).toBe(200);
  });

  it("lets a location inherit the tenant's providers and mappings unless it overrides them", async () => {
    const location = (await api<{ id: string }>("POST", "/api/admin/locations", { name: "Ubud Villa" })).body;
    const local = (await api<ProviderView>("POST", "/api/admin/providers", midtrans({ name: "Ubud Xendit", locationId: location.id, secrets: { serverKey: "xnd_local_0000" } }))).body;
    const fallback = (await api<ProviderView>("POST", "/api/admin/providers", midtrans({ name: "Backup Gateway", secrets: { serverKey: "backup-key-1111" } }))).body;

    const listed = await api<{ items: (ProviderView & { inherited: boolean })[] }>("GET", `/api/admin/providers?locationId=${location.id}`);
    const byName = Object.fromEntries(listed.body.items.map((item) => [item.name, item.inherited]));
    expect(byName).toMatchObject({ "Midtrans (main)": true, "Ubud Xendit": false, "Backup Gateway": true });

    const tenantMap = await api("PUT", "/api/admin/features", {
      mappings: [{ featureKey: "payment.booking", primaryProviderId: provider.id, fallbackProviderId: fallback.id }],
    });
    expect(tenantMap.status).toBe(200);
    const misuse = await api<{ error: { message: string } }>("PUT", "/api/admin/features", { mappings: [{ featureKey: "payment.booking", primaryProviderId: local.id }] });
    expect(misuse.status).toBe(400);
    expect(misuse.body.error.message).toContain("another location");

    type Features = { effective: { featureKey: string; primaryProviderId: string; inherited: boolean }[] };
    const inherited = await api<Features>("GET", `/api/admin/features?locationId=${location.id}`);
    expect(inherited.body.effective).toEqual([expect.objectContaining({ featureKey: "payment.booking", primaryProviderId: provider.id, inherited: true })]);

    await api("PUT", "/api/admin/features", { locationId: location.id, mappings: [{ featureKey: "payment.booking", primaryProviderId: local.id }] });
    const overridden = await api<Features>("GET", `/api/admin/features?locationId=${location.id}`);
    expect(overridden.body.effective).toEqual([expect.objectContaining({ primaryProviderId: local.id, inherited: false })]);

    const refused = await api<{ error: { message: string } }>("DELETE", `/api/admin/providers/${fallback.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("payment.booking (whole business, fallback)");
  });

  it("writes every change to the audit log without secret values", async () => {
    const audit = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=100");
    const actions = audit.body.items.map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(["provider.created", "provider.updated", "features.mapped", "location.created", "user.created"]));
    const update = audit.body.items.find((entry) => entry.action === "provider.updated" && entry.changed.includes("secrets.serverKey"));
    expect(update?.actor).toBe("user:owner@example.com");
  });
});

describe("API keys", () => {
  it("shows a key once, stores only its hash, rate-limits it and honours revocation", async () => {
    const created = await api<{ id: string; key: string; prefix: string }>("POST", "/api/admin/api-keys", { name: "PMS", scopes: ["events"], rateLimitPerMinute: 3 });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk_live_/);
    const listed = await api<{ items: Record<string, unknown>[] }>("GET", "/api/admin/api-keys");
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    // Its per-minute budget: the fourth call in a minute is refused with Retry-After, and the next minute admits it again.
    const publish = () => api("POST", "/api/v1/events", { type: "folio.closed", data: { folioId: "F1" } }, { authorization: `Bearer ${created.body.key}` });
    for (let call = 0; call < 3; call += 1) expect((await publish()).status).toBe(202);
    const limited = await publish();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    hub.clock.advance(61_000);
    expect((await publish()).status).toBe(202);
    // Concurrent calls on one key neither fail on each other's writes nor exceed its budget.
    const busy = await api<{ key: string }>("POST", "/api/admin/api-keys", { name: "busy PMS", scopes: ["events"], rateLimitPerMinute: 25 });
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, index) => api("POST", "/api/v1/events", { type: "folio.closed", data: { folioId: `B${index}` } }, { authorization: `Bearer ${busy.body.key}` })),
    );
    expect(burst.filter((reply) => reply.status === 202)).toHaveLength(25);
    expect(burst.filter((reply) => reply.status === 429)).toHaveLength(15);
    const roomy = await api<{ key: string }>("POST", "/api/admin/api-keys", { name: "roomy PMS", scopes: ["events"], rateLimitPerMinute: 1000 });
    const within = await Promise.all(
      Array.from({ length: 60 }, (_, index) => api("POST", "/api/v1/events", { type: "folio.closed", data: { folioId: `R${index}` } }, { authorization: `Bearer ${roomy.body.key}` })),
    );
    expect(within.map((reply) => reply.status)).toEqual(within.map(() => 202));
    // An API key cannot use the admin API.
    const admin = await api("GET", "/api/admin/providers", undefined, { authorization: `Bearer ${created.body.key}` });
    expect(admin.status).toBe(403);
    const revoked = await api("DELETE", `/api/admin/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    const after = await api<{ error: { message: string } }>("GET", "/api/admin/providers", undefined, { authorization: `Bearer ${created.body.key}` });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain("revoked");
  });
});

describe("key rotation", () => {
  it("re-seals every secret under a new key, resumably, with every secret readable throughout", async () => {
    const before = await api<{ items: ProviderView[] }>("GET", "/api/admin/providers");
    const first = await api<{ status: string; rewrapped: number; keyId: string }>("POST", "/api/admin/keys/rotate");
    expect(first.status).toBe(200);
    expect(first.body.status).toBe("done");
    expect(first.body.rewrapped).toBe(before.body.items.length);
    const keyFile = JSON.parse(readFileSync(join(hub.dataDir, "master.key.json"), "utf8")) as { current: string; keys: Record<string, string> };
    expect(keyFile.current).toBe(first.body.keyId);
    expect(Object.keys(keyFile.keys)).toHaveLength(2);
    const audit = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=200");
    expect(audit.body.items.some((entry) => entry.action === "provider.key_rotated")).toBe(true);
  });
});

describe("secrets never leave sealed", () => {
  it("never shows the canary in a response, a log line, an audit entry or a data file", async () => {
    for (const body of responses) expect(body).not.toContain(CANARY);
    for (const line of logs) expect(line).not.toContain(CANARY);
    for (const file of readdirSync(hub.dataDir)) {
      const path = join(hub.dataDir, file);
      if (statSync(path).isFile()) expect(readFileSync(path).includes(Buffer.from(CANARY))).toBe(false);
    }
  });
});

describe("an interrupted key rotation", () => {
  it("finishes when run again, every secret readable in between", async () => {
    const { createLocalPorts } = await import("@sambung/core/adapters/local/index");
    const Rotation = await import("@sambung/core/secret/rotation");
    const Provider = await import("@sambung/core/provider/index");
    const ports = createLocalPorts(hub.dataDir, hub.clock);
    const providers = await Provider.list(ports, (await api<{ principal: { tenantId: string } }>("GET", "/api/auth/me")).body.principal.tenantId);
    expect(providers.length).toBeGreaterThanOrEqual(3);

    hub.clock.advance(1000);
    const halfway = await Rotation.rotate(ports, { maxItems: 1 });
    expect(halfway).toMatchObject({ status: "running", rewrapped: 1 });
    for (const provider of providers) {
      const fresh = await Provider.get(ports, provider.tenantId, provider.id);
      expect(Object.keys(await Provider.secretsOf(ports, fresh))).toEqual(["serverKey"]);
    }
    const finished = await Rotation.rotate(ports);
    expect(finished).toMatchObject({ id: halfway.id, status: "done", rewrapped: providers.length });
    for (const provider of providers) {
      const fresh = await Provider.get(ports, provider.tenantId, provider.id);
      expect(fresh.secretBox?.sealed.kid).toBe(finished.keyId);
      expect(await Provider.secretsOf(ports, fresh)).toHaveProperty("serverKey");
    }
    ports.database.close();
  });
});
