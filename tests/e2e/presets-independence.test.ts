import * as Preset from "@sambung/core/preset/index";
import type { ProviderView } from "@sambung/core/provider/index";
import { startRuntime } from "@sambung/functions/local/runtime";
import { cpSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, OWNER, repoRoot, signIn, tempDir } from "../support/runtime.ts";

/**
 * Issue #3: a provider made from a preset holds a copy of the preset's values.
 * The runtime never reads a preset for it, so deleting `presets/` and restarting
 * changes nothing for providers that exist.
 */
const SERVER_KEY = "SB-Mid-server-presets-test";
const data = tempDir();
const presets = tempDir("sambung-presets-");
const previous = process.env.SAMBUNG_PRESETS_DIR;

beforeAll(() => {
  cpSync(join(repoRoot, "presets"), presets.path, { recursive: true });
  process.env.SAMBUNG_PRESETS_DIR = presets.path;
  Preset.clearCache();
});

afterAll(() => {
  if (previous === undefined) delete process.env.SAMBUNG_PRESETS_DIR;
  else process.env.SAMBUNG_PRESETS_DIR = previous;
  Preset.clearCache();
  data.remove();
  presets.remove();
});

async function withRuntime<T>(run: (api: <B>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: B }>, url: string) => Promise<T>): Promise<T> {
  const runtime = await startRuntime({ dataDir: data.path, port: 0, owner: OWNER, workers: false });
  try {
    const token = await signIn(runtime.url);
    return await run((method, path, body) => call(runtime.url, method, path, body, { authorization: `Bearer ${token}` }), runtime.url);
  } finally {
    await runtime.stop();
  }
}

/** A Midtrans notification signed as Midtrans documents: hex SHA-512(order_id + status_code + gross_amount + server key). */
function midtransNotification(orderId: string) {
  const body = { order_id: orderId, status_code: "200", gross_amount: "150000.00", transaction_status: "settlement", transaction_id: `tx-${orderId}`, fraud_status: "accept" };
  const signature_key = createHash("sha512").update(`${body.order_id}${body.status_code}${body.gross_amount}${SERVER_KEY}`).digest("hex");
  return JSON.stringify({ ...body, signature_key });
}

describe("presets are copied, never read again", () => {
  it("keeps a provider made from a preset working after presets/ is deleted and the hub restarts", async () => {
    const before = await withRuntime(async (api, url) => {
      const created = await api<ProviderView>("POST", "/api/admin/providers", { type: "payment", name: "Midtrans", presetId: "midtrans-snap", secrets: { serverKey: SERVER_KEY } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const signed = await fetch(`${url}/webhook/payment/${created.body.slug}`, { method: "POST", headers: { "content-type": "application/json" }, body: midtransNotification("order-1") });
      expect(signed.status).toBe(200);
      return created.body;
    });

    rmSync(presets.path, { recursive: true, force: true });
    Preset.clearCache();

    await withRuntime(async (api, url) => {
      const listed = await api<{ items: unknown[] }>("GET", "/api/admin/presets");
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([]);
      const after = await api<ProviderView>("GET", `/api/admin/providers/${before.id}`);
      expect(after.status).toBe(200);
      // Everything but the webhook URL, which carries this run's port.
      expect({ ...after.body, webhookUrl: undefined }).toEqual({ ...before, webhookUrl: undefined });
      // The signature scheme and webhook paths came from the preset; the copy still verifies.
      const signed = await fetch(`${url}/webhook/payment/${before.slug}`, { method: "POST", headers: { "content-type": "application/json" }, body: midtransNotification("order-2") });
      expect(signed.status).toBe(200);
      const tampered = await fetch(`${url}/webhook/payment/${before.slug}`, { method: "POST", headers: { "content-type": "application/json" }, body: midtransNotification("order-3").replace("150000.00", "1.00") });
      expect(tampered.status).toBe(401);
    });
  });
});
