import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { systemClock } from "@sambung/core/adapters/clock";
import { NodeHttp } from "@sambung/core/adapters/http";
import { InvalidInputError } from "@sambung/core/error";
import { InvalidWebhookError, type EngineContext, type PaymentRequest } from "@sambung/core/format/payment/engine";
import { PaymentGatewayError } from "@sambung/core/format/payment/errors";
import { paymentEngines } from "@sambung/core/format/payment/index";
import { HttpTimeoutError, type HttpRequest, type Ports } from "@sambung/core/port";
import type { Provider } from "@sambung/core/provider/record";
import { classify, ProviderError } from "@sambung/core/resilience/errors";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDokuFake, type DokuFake } from "../fakes/gateways/doku.ts";
import { startIpaymuFake, type IpaymuFake } from "../fakes/gateways/ipaymu.ts";
import { startMidtransFake, type MidtransFake } from "../fakes/gateways/midtrans.ts";
import { startOmiseFake, type OmiseFake } from "../fakes/gateways/omise.ts";
import { startServer, type FakeServer } from "../fakes/gateways/server.ts";
import { startStripeFake, type StripeFake } from "../fakes/gateways/stripe.ts";
import { startXenditFake, type XenditFake } from "../fakes/gateways/xendit.ts";
import { providerRecord } from "../support/provider-record.ts";

// ---------------------------------------------------------------- fixtures

const KEYS = {
  midtrans: "SB-Mid-server-TESTKEY0123456789abcd",
  xendit: "xnd_development_TESTKEY0123456789abcdefghijklmnop",
  xenditToken: "xendit-callback-token-0123456789",
  stripe: "sk_test_51TESTKEY0123456789abcdefghijklmnop",
  stripeWebhook: "whsec_test_0123456789abcdefghijklmnop",
  omise: "skey_test_5TESTKEY0123456789abc",
  omiseWebhook: Buffer.from("omise-webhook-signing-secret-0123").toString("base64"),
  dokuClient: "BRN-0201-1700000000001",
  doku: "SK-TESTKEY0123456789abcd",
  ipaymuVa: "0000001234567890",
  ipaymu: "SANDBOX-TESTKEY-0123-4567-89AB-CDEF",
};

const ports = { clock: systemClock, http: new NodeHttp(5_000), config: { runtime: "local", allowPrivateUrls: true } } as unknown as Ports;

interface PresetFile {
  id: string;
  type: string;
  name: string;
  apiFormat: string;
  baseUrl: { production: string; sandbox?: string };
  auth: Record<string, unknown>;
  signature: Record<string, unknown>;
  headers?: Record<string, string>;
  config?: Record<string, unknown>;
  capabilities?: string[];
}

function preset(id: string): PresetFile {
  return JSON.parse(readFileSync(new URL(`../../presets/payment/${id}.json`, import.meta.url), "utf8")) as PresetFile;
}

/** A provider record as the registry makes it from a preset (config = auth + signature + preset config), pointed at a fake. */
function providerFrom(id: string, baseUrl: string, changes: { config?: Record<string, unknown>; apiFormat?: string } = {}): Provider {
  const file = preset(id);
  return providerRecord({
    id: `prv_${id}`,
    type: file.type,
    name: file.name,
    slug: file.id,
    apiFormat: changes.apiFormat ?? file.apiFormat,
    baseUrl,
    headers: file.headers ?? {},
    config: { auth: file.auth, signature: file.signature, ...file.config, ...changes.config },
    capabilities: file.capabilities ?? [],
    isDefault: true,
    presetId: file.id,
  });
}

function contextFor(provider: Provider, secrets: Record<string, string>, send?: (request: HttpRequest) => Promise<Awaited<ReturnType<Ports["http"]["fetch"]>>>): EngineContext {
  return { ports, provider, secrets, baseUrl: provider.baseUrl, send: send ?? ((request) => ports.http.fetch(request)) };
}

let counter = 0;
function paymentRequest(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  counter += 1;
  return {
    id: `pay-${Date.now().toString(36)}-${counter}`,
    reference: `BOOKING-${counter}`,
    amount: 150_000,
    currency: "IDR",
    customer: { name: "Budi Santoso", email: "budi@example.com", phone: "+628123456789" },
    returnUrl: "https://hotel.example/thanks",
    expiresAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
    notifyUrl: `${receiver.url}/webhook/payment/test`,
    ...overrides,
  };
}

/** Where the fakes deliver webhooks: it answers 200 and keeps what it got. */
let receiver: FakeServer;

async function gatewayError(promise: Promise<unknown>): Promise<PaymentGatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PaymentGatewayError) return error;
    throw error;
  }
  throw new Error("expected a PaymentGatewayError");
}

function parse(provider: Provider, secrets: Record<string, string>, delivery: { rawBody: string; headers: Record<string, string> }) {
  return paymentEngines[provider.apiFormat as keyof typeof paymentEngines].parseWebhook(
    { ports, provider, secrets, baseUrl: provider.baseUrl },
    { rawBody: delivery.rawBody, headers: delivery.headers, query: {} },
  );
}

function lastReceived() {
  const request = receiver.requests.at(-1);
  if (!request) throw new Error("no webhook arrived");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
  return { rawBody: request.rawBody, headers, path: request.path };
}

beforeAll(async () => {
  receiver = await startServer(() => ({ status: 200, body: { ok: true } }));
});

afterAll(async () => {
  await receiver.close();
});

// ---------------------------------------------------------------- Midtrans

describe("Midtrans (Snap, Core API QRIS, Core API VA, GoPay)", () => {
  let fake: MidtransFake;
  const secrets = { serverKey: KEYS.midtrans };

  beforeAll(async () => {
    fake = await startMidtransFake({ serverKey: KEYS.midtrans });
  });
  afterAll(() => fake.close());

  const snap = () => providerFrom("midtrans-snap", fake.url, { config: { hosts: { api: { production: fake.url } } } });

  it("Snap: create → pending status → paid → signed notification → partial refund", async () => {
    const provider = snap();
    const engine = paymentEngines.redirect_flow;
    const request = paymentRequest();
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created.redirectUrl).toMatch(/\/snap\/v4\/redirection\//);
    expect(created.token).toBeTruthy();
    expect(created).toMatchObject({ gatewayTransactionId: request.id, status: "pending", rawStatus: "created" });

    const sent = fake.requests.find((item) => item.path === "/snap/v1/transactions");
    expect(sent?.headers.authorization).toBe(`Basic ${Buffer.from(`${KEYS.midtrans}:`).toString("base64")}`);
    expect(sent?.headers["x-override-notification"]).toBe(request.notifyUrl);
    expect(JSON.parse(sent?.rawBody ?? "{}")).toMatchObject({ transaction_details: { order_id: request.id, gross_amount: 150000 }, callbacks: { finish: request.returnUrl } });

    // Before the guest picks a method the Core API does not know the order: config.statusNotFound.
    expect(await engine.status(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId })).toMatchObject({ status: "pending", rawStatus: "not_found" });

    fake.settle(request.id);
    const status = await engine.status(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId });
    expect(status).toMatchObject({ status: "paid", rawStatus: "settlement", amount: 150000 });

    const delivery = await fake.postWebhook(request.id, { duplicate: true });
    expect(delivery.responses.map((item) => item.status)).toEqual([200, 200]);
    const arrived = lastReceived();
    const body = JSON.parse(arrived.rawBody) as Record<string, string>;
    const expected = createHash("sha512").update(`${body.order_id}${body.status_code}${body.gross_amount}${KEYS.midtrans}`).digest("hex");
    expect(body.signature_key).toBe(expected);
    const normalized = parse(provider, secrets, arrived);
    const tx = fake.find(request.id);
    expect(normalized).toEqual({ eventId: `${tx?.transactionId}:settlement`, gatewayTransactionId: tx?.transactionId, orderId: request.id, status: "paid", rawStatus: "settlement", amount: 150000 });

    const refund = await engine.refund(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId, currency: "IDR" }, { id: "rf-1", amount: 50_000, reason: "guest left early" });
    expect(refund).toMatchObject({ status: "succeeded", rawStatus: "partial_refund" });
    expect(await engine.status(contextFor(provider, secrets), { id: request.id })).toMatchObject({ status: "partially_refunded", refundedAmount: 50000 });
  });

  it("Snap: a tampered notification no longer matches its signature_key, and a reused order id is refused", async () => {
    const provider = snap();
    const request = paymentRequest();
    await paymentEngines.redirect_flow.create(contextFor(provider, secrets), request);
    fake.settle(request.id);
    const built = fake.webhook(request.id, { tamper: true });
    const body = JSON.parse(built.rawBody) as Record<string, string>;
    expect(body.signature_key).not.toBe(createHash("sha512").update(`${body.order_id}${body.status_code}${body.gross_amount}${KEYS.midtrans}`).digest("hex"));

    const error = await gatewayError(paymentEngines.redirect_flow.create(contextFor(provider, secrets), request));
    expect(error).toMatchObject({ kind: "bad_request", status: 400, retryable: false, vendorMessage: "transaction_details.order_id sudah digunakan" });
  });

  it("Snap: a wrong server key is a non-retryable 401 whose message holds no secret", async () => {
    const error = await gatewayError(paymentEngines.redirect_flow.create(contextFor(snap(), { serverKey: "SB-Mid-server-WRONGKEY99" }), paymentRequest()));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, retryable: false });
    expect(error.message).toContain("Access denied");
    expect(error.message).not.toContain("WRONGKEY");
  });

  it("Core API QRIS: create gives the QR string; cancel while pending; duplicate order id (406 in the body) is a conflict", async () => {
    const provider = providerFrom("midtrans-core-qris", fake.url);
    const engine = paymentEngines.qris_dynamic;
    const request = paymentRequest({ amount: 275_000 });
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created.qrString).toMatch(/^000201/);
    expect(created).toMatchObject({ status: "pending", rawStatus: "pending" });
    expect(created.gatewayTransactionId).toBe(fake.find(request.id)?.transactionId);

    expect(await engine.status(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId })).toMatchObject({ status: "pending", amount: 275000 });
    expect(await engine.cancel(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId })).toMatchObject({ status: "cancelled", rawStatus: "cancel" });

    const error = await gatewayError(engine.create(contextFor(provider, secrets), request));
    expect(error).toMatchObject({ kind: "conflict", status: 406, vendorCode: "406", retryable: false });
    expect(error.message).toContain("order_id has been paid and utilized");

    // Cancelling a cancelled transaction: 412 in the body.
    const again = await gatewayError(engine.cancel(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId }));
    expect(again).toMatchObject({ status: 412, vendorCode: "412", retryable: false });
  });

  it("Core API QRIS: an expired transaction's notification reads as expired", async () => {
    const provider = providerFrom("midtrans-core-qris", fake.url);
    const request = paymentRequest();
    await paymentEngines.qris_dynamic.create(contextFor(provider, secrets), request);
    fake.expire(request.id);
    await fake.postWebhook(request.id);
    expect(parse(provider, secrets, lastReceived())).toMatchObject({ status: "expired", rawStatus: "expire", orderId: request.id });
    expect(await paymentEngines.qris_dynamic.status(contextFor(provider, secrets), { id: request.id })).toMatchObject({ status: "expired", rawStatus: "expire" });
  });

  it("Core API bank transfer: a VA number and bank; refund is not configured", async () => {
    const provider = providerFrom("midtrans-core-bank-transfer", fake.url);
    const engine = paymentEngines.va_static;
    const request = paymentRequest();
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created.vaNumber).toMatch(/^\d{14}$/);
    expect(created.bankCode).toBe("bni");

    const permata = providerFrom("midtrans-core-bank-transfer", fake.url, { config: { bank: "permata" } });
    const viaPermata = await engine.create(contextFor(permata, secrets), paymentRequest());
    expect(viaPermata.vaNumber).toMatch(/^\d{14}$/);

    const error = await gatewayError(engine.refund(contextFor(provider, secrets), { id: request.id, currency: "IDR" }, { id: "rf", amount: 1000, reason: "x" }));
    expect(error).toMatchObject({ kind: "unsupported", retryable: false });
  });

  it("e_wallet_redirect: GoPay through the Core API gives the deeplink", async () => {
    const base = preset("midtrans-core-qris").config as { endpoints: { create: { body: Record<string, unknown> } }; response: { create: Record<string, unknown> } };
    const provider = providerFrom("midtrans-core-qris", fake.url, {
      apiFormat: "e_wallet_redirect",
      config: {
        endpoints: { ...base.endpoints, create: { ...base.endpoints.create, body: { ...base.endpoints.create.body, payment_type: "gopay", qris: undefined, gopay: { enable_callback: true, callback_url: "{{urls.return}}" } } } },
        response: { ...base.response, create: { ...base.response.create, redirectUrl: "actions[name=deeplink-redirect].url" } },
      },
    });
    const created = await paymentEngines.e_wallet_redirect.create(contextFor(provider, secrets), paymentRequest());
    expect(created.redirectUrl).toMatch(/^https:\/\/simulator\.sandbox\.midtrans\.com\/gopay\//);
  });
});

// ---------------------------------------------------------------- Xendit

describe("Xendit (Invoice, QRIS, VA)", () => {
  let fake: XenditFake;
  const secrets = { serverKey: KEYS.xendit, webhookSecret: KEYS.xenditToken };

  beforeAll(async () => {
    fake = await startXenditFake({ secretKey: KEYS.xendit, callbackToken: KEYS.xenditToken, callbackUrl: `${receiver.url}/webhook/payment/xendit` });
  });
  afterAll(() => fake.close());

  it("Invoice: create → status → cancel (expire!) → EXPIRED", async () => {
    const provider = providerFrom("xendit-invoice", fake.url);
    const engine = paymentEngines.redirect_flow;
    const request = paymentRequest();
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created.redirectUrl).toBe(`${fake.url}/web/${created.gatewayTransactionId}`);
    expect(created).toMatchObject({ status: "pending", rawStatus: "PENDING" });
    expect(created.expiresAt).toBeDefined();
    const sent = fake.requests.find((item) => item.path === "/v2/invoices");
    expect(sent?.headers.authorization).toBe(`Basic ${Buffer.from(`${KEYS.xendit}:`).toString("base64")}`);
    expect(JSON.parse(sent?.rawBody ?? "{}")).toMatchObject({ external_id: request.id, amount: 150000, currency: "IDR", payer_email: "budi@example.com" });

    expect(await engine.status(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId })).toMatchObject({ status: "pending", amount: 150000 });
    expect(await engine.cancel(contextFor(provider, secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId })).toMatchObject({ status: "expired", rawStatus: "EXPIRED" });
  });

  it("Invoice: paid callback with the x-callback-token; a tampered one carries another token", async () => {
    const provider = providerFrom("xendit-invoice", fake.url);
    const request = paymentRequest();
    const created = await paymentEngines.redirect_flow.create(contextFor(provider, secrets), request);
    fake.settle(created.gatewayTransactionId);
    await fake.postWebhook(created.gatewayTransactionId);
    const arrived = lastReceived();
    expect(arrived.headers["x-callback-token"]).toBe(KEYS.xenditToken);
    expect(parse(provider, secrets, arrived)).toEqual({ eventId: `${created.gatewayTransactionId}:PAID`, gatewayTransactionId: created.gatewayTransactionId, orderId: request.id, status: "paid", rawStatus: "PAID", amount: 150000 });
    expect(fake.webhook(created.gatewayTransactionId, { tamper: true }).headers["x-callback-token"]).not.toBe(KEYS.xenditToken);
  });

  it("QRIS: form-encoded create, ACTIVE → pending, paid via the payments follow-up, callback names the QR code", async () => {
    const provider = providerFrom("xendit-qris", fake.url);
    const engine = paymentEngines.qris_dynamic;
    const request = paymentRequest({ amount: 25_000, notifyUrl: `${receiver.url}/webhook/payment/xendit-qris` });
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created.qrString).toMatch(/^000201/);
    expect(created.gatewayTransactionId).toMatch(/^qr_/);
    const sent = fake.requests.find((item) => item.path === "/qr_codes" && item.method === "POST");
    expect(sent?.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(sent?.rawBody))).toMatchObject({ external_id: request.id, type: "DYNAMIC", amount: "25000", callback_url: request.notifyUrl });

    const ref = { id: request.id, gatewayTransactionId: created.gatewayTransactionId };
    expect(await engine.status(contextFor(provider, secrets), ref)).toMatchObject({ status: "pending", rawStatus: "ACTIVE" });
    fake.settle(request.id);
    expect(await engine.status(contextFor(provider, secrets), ref)).toMatchObject({ status: "paid", rawStatus: "COMPLETED", amount: 25000, gatewayTransactionId: created.gatewayTransactionId });

    await fake.postWebhook(request.id);
    const arrived = lastReceived();
    expect(arrived.path).toBe("/webhook/payment/xendit-qris");
    const normalized = parse(provider, secrets, arrived);
    expect(normalized).toMatchObject({ gatewayTransactionId: created.gatewayTransactionId, orderId: request.id, status: "paid", rawStatus: "COMPLETED", amount: 25000 });
    expect(normalized.eventId).toMatch(/^qrpy_.+:COMPLETED$/);

    const cancel = await gatewayError(engine.cancel(contextFor(provider, secrets), ref));
    expect(cancel).toMatchObject({ kind: "unsupported" });
  });

  it("QRIS: an unpaid INACTIVE code is expired; documented test amounts give retryable and final errors", async () => {
    const provider = providerFrom("xendit-qris", fake.url);
    const engine = paymentEngines.qris_dynamic;
    const request = paymentRequest({ amount: 30_000 });
    await engine.create(contextFor(provider, secrets), request);
    fake.expire(request.id);
    expect(await engine.status(contextFor(provider, secrets), { id: request.id })).toMatchObject({ status: "expired", rawStatus: "INACTIVE" });

    const unavailable = await gatewayError(engine.create(contextFor(provider, secrets), paymentRequest({ amount: 10_101 })));
    expect(unavailable).toMatchObject({ kind: "unavailable", status: 503, retryable: true, vendorCode: "CHANNEL_UNAVAILABLE" });
    const notActivated = await gatewayError(engine.create(contextFor(provider, secrets), paymentRequest({ amount: 10_100 })));
    expect(notActivated).toMatchObject({ kind: "unauthorized", status: 403, retryable: false, vendorCode: "CHANNEL_NOT_ACTIVATED" });
  });

  it("VA: create → ACTIVE → paid (single-use INACTIVE before expiry) → payment callback; expiry reads as expired", async () => {
    const provider = providerFrom("xendit-virtual-account", fake.url);
    const engine = paymentEngines.va_static;
    const request = paymentRequest({ amount: 500_000 });
    const created = await engine.create(contextFor(provider, secrets), request);
    expect(created).toMatchObject({ bankCode: "BNI", status: "pending", rawStatus: "PENDING" });
    expect(created.vaNumber).toMatch(/^88089999\d{6}$/);
    const ref = { id: request.id, gatewayTransactionId: created.gatewayTransactionId };
    expect(await engine.status(contextFor(provider, secrets), ref)).toMatchObject({ status: "pending", rawStatus: "ACTIVE" });

    fake.settle(created.gatewayTransactionId);
    expect(await engine.status(contextFor(provider, secrets), ref)).toMatchObject({ status: "paid", rawStatus: "INACTIVE" });
    await fake.postWebhook(created.gatewayTransactionId);
    const normalized = parse(provider, secrets, lastReceived());
    expect(normalized).toMatchObject({ gatewayTransactionId: created.gatewayTransactionId, orderId: request.id, status: "paid", rawStatus: "PAID", amount: 500000 });

    const other = await engine.create(contextFor(provider, secrets), paymentRequest());
    fake.expire(other.gatewayTransactionId);
    expect(await engine.status(contextFor(provider, secrets), { id: "x", gatewayTransactionId: other.gatewayTransactionId })).toMatchObject({ status: "expired", rawStatus: "INACTIVE" });
  });

  it("a wrong key is INVALID_API_KEY (401, not retryable)", async () => {
    const error = await gatewayError(paymentEngines.redirect_flow.create(contextFor(providerFrom("xendit-invoice", fake.url), { serverKey: "xnd_development_wrong" }), paymentRequest()));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, vendorCode: "INVALID_API_KEY", retryable: false });
  });
});

// ---------------------------------------------------------------- DOKU

describe("DOKU Checkout (non-SNAP request signing)", () => {
  let fake: DokuFake;
  const secrets = { serverKey: KEYS.doku };

  beforeAll(async () => {
    fake = await startDokuFake({ clientId: KEYS.dokuClient, secretKey: KEYS.doku, notificationUrl: `${receiver.url}/webhook/payment/doku-checkout` });
  });
  afterAll(() => fake.close());

  const provider = () => providerFrom("doku-checkout", fake.url, { config: { clientId: KEYS.dokuClient } });

  it("signed create → ORDER_GENERATED → SUCCESS, and a signed notification", async () => {
    const engine = paymentEngines.redirect_flow;
    const request = paymentRequest();
    const created = await engine.create(contextFor(provider(), secrets), request);
    expect(created.redirectUrl).toMatch(/\/checkout-link-v2\//);
    expect(created).toMatchObject({ gatewayTransactionId: request.id, status: "pending" });
    const sent = fake.requests.find((item) => item.path === "/checkout/v1/payment");
    expect(sent?.headers.signature).toMatch(/^HMACSHA256=/);
    expect(JSON.parse(sent?.rawBody ?? "{}")).toMatchObject({ order: { amount: 150000, invoice_number: request.id, currency: "IDR" }, payment: { payment_due_date: 120 } });

    expect(await engine.status(contextFor(provider(), secrets), { id: request.id })).toMatchObject({ status: "pending", rawStatus: "ORDER_GENERATED" });
    fake.settle(request.id);
    expect(await engine.status(contextFor(provider(), secrets), { id: request.id })).toMatchObject({ status: "paid", rawStatus: "SUCCESS" });

    await fake.postWebhook(request.id);
    const arrived = lastReceived();
    const digest = createHash("sha256").update(arrived.rawBody).digest("base64");
    const component = [`Client-Id:${arrived.headers["client-id"]}`, `Request-Id:${arrived.headers["request-id"]}`, `Request-Timestamp:${arrived.headers["request-timestamp"]}`, `Request-Target:${arrived.path}`, `Digest:${digest}`].join("\n");
    expect(arrived.headers.signature).toBe(`HMACSHA256=${createHmac("sha256", KEYS.doku).update(component).digest("base64")}`);
    expect(parse(provider(), secrets, arrived)).toEqual({ eventId: `${request.id}:SUCCESS`, orderId: request.id, status: "paid", rawStatus: "SUCCESS", amount: 150000 });

    const cancel = await gatewayError(engine.cancel(contextFor(provider(), secrets), { id: request.id }));
    expect(cancel).toMatchObject({ kind: "unsupported", retryable: false });
  });

  it("a wrong secret key fails DOKU's signature check; a missing client id is a config error", async () => {
    const wrong = await gatewayError(paymentEngines.redirect_flow.create(contextFor(provider(), { serverKey: "SK-WRONG" }), paymentRequest()));
    expect(wrong).toMatchObject({ status: 400, vendorCode: "invalid_signature", retryable: false });
    const noClient = await gatewayError(paymentEngines.redirect_flow.create(contextFor(providerFrom("doku-checkout", fake.url), secrets), paymentRequest()));
    expect(noClient).toMatchObject({ kind: "config" });
    expect(noClient.message).toContain("config.clientId");
  });
});

// ---------------------------------------------------------------- iPaymu

describe("iPaymu redirect payment (v2 request signing)", () => {
  let fake: IpaymuFake;
  const secrets = { serverKey: KEYS.ipaymu };

  beforeAll(async () => {
    fake = await startIpaymuFake({ va: KEYS.ipaymuVa, apiKey: KEYS.ipaymu });
  });
  afterAll(() => fake.close());

  const provider = () => providerFrom("ipaymu-redirect", fake.url, { config: { va: KEYS.ipaymuVa } });

  it("signed create → form callback with X-Signature → status by trx_id", async () => {
    const engine = paymentEngines.redirect_flow;
    const request = paymentRequest();
    const created = await engine.create(contextFor(provider(), secrets), request);
    expect(created.redirectUrl).toBe(`${fake.url}/payment/${created.gatewayTransactionId}`);
    const sent = fake.requests.find((item) => item.path === "/api/v2/payment");
    expect(sent?.headers.va).toBe(KEYS.ipaymuVa);
    expect(JSON.parse(sent?.rawBody ?? "{}")).toMatchObject({ price: [150000], referenceId: request.id, notifyUrl: request.notifyUrl, expired: 2 });

    fake.settle(created.gatewayTransactionId);
    await fake.postWebhook(created.gatewayTransactionId);
    const arrived = lastReceived();
    expect(arrived.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    const normalized = parse(provider(), secrets, arrived);
    const trx = String(fake.find(created.gatewayTransactionId).trxId);
    expect(normalized).toEqual({ eventId: `${trx}:1`, gatewayTransactionId: trx, orderId: request.id, status: "paid", rawStatus: "1", amount: 150000 });

    // The callback signature, recomputed as iPaymu's docs tell a receiver to.
    const form = Object.fromEntries(new URLSearchParams(arrived.rawBody)) as Record<string, unknown>;
    const typed: Record<string, unknown> = { ...form };
    for (const key of ["trx_id", "status_code", "transaction_status_code", "paid_off"]) typed[key] = Number(form[key]);
    typed.is_escrow = form.is_escrow === "1";
    typed.additional_info = [];
    expect(fake.signatureOf(typed)).toBe(arrived.headers["x-signature"]);
    const tampered = Object.fromEntries(new URLSearchParams(fake.webhook(created.gatewayTransactionId, { tamper: true }).rawBody)) as Record<string, unknown>;
    expect(fake.signatureOf({ ...typed, amount: tampered.amount })).not.toBe(arrived.headers["x-signature"]);

    // The status call takes iPaymu's trx_id (from the callback), not the SessionID.
    expect(await engine.status(contextFor(provider(), secrets), { id: request.id, gatewayTransactionId: trx })).toMatchObject({ status: "paid", rawStatus: "1", amount: 150000 });
    const bySession = await gatewayError(engine.status(contextFor(provider(), secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId }));
    expect(bySession).toMatchObject({ kind: "not_found", status: 404, vendorMessage: "transaction not found" });
  });

  it("a JSON callback (dashboard option) and an expired one", async () => {
    const jsonFake = await startIpaymuFake({ va: KEYS.ipaymuVa, apiKey: KEYS.ipaymu, callbackFormat: "json" });
    try {
      const record = providerFrom("ipaymu-redirect", jsonFake.url, { config: { va: KEYS.ipaymuVa } });
      const request = paymentRequest();
      const created = await paymentEngines.redirect_flow.create(contextFor(record, secrets), request);
      jsonFake.expire(created.gatewayTransactionId);
      await jsonFake.postWebhook(created.gatewayTransactionId);
      expect(parse(record, secrets, lastReceived())).toMatchObject({ status: "expired", rawStatus: "-2", orderId: request.id });
    } finally {
      await jsonFake.close();
    }
  });

  it("a wrong API key is refused by the signature check (401 in Status)", async () => {
    const error = await gatewayError(paymentEngines.redirect_flow.create(contextFor(provider(), { serverKey: "WRONG" }), paymentRequest()));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, retryable: false, vendorMessage: "unauthorized signature" });
  });
});

// ---------------------------------------------------------------- Stripe

describe("Stripe PaymentIntents (embed_flow)", () => {
  let fake: StripeFake;
  const secrets = { secretKey: KEYS.stripe, webhookSecret: KEYS.stripeWebhook };
  const stripe = new Stripe(KEYS.stripe);

  beforeAll(async () => {
    fake = await startStripeFake({ secretKey: KEYS.stripe, webhookSecret: KEYS.stripeWebhook, webhookUrl: `${receiver.url}/webhook/payment/stripe` });
  });
  afterAll(() => fake.close());

  const provider = () => providerFrom("stripe-payment-intents", fake.url);
  const usd = (overrides: Partial<PaymentRequest> = {}) => paymentRequest({ amount: 12_550, currency: "USD", ...overrides });

  it("form-encoded create with Bearer and Idempotency-Key → client secret; cancel", async () => {
    const engine = paymentEngines.embed_flow;
    const request = usd();
    const created = await engine.create(contextFor(provider(), secrets), request);
    expect(created.clientSecret).toMatch(new RegExp(`^${created.gatewayTransactionId}_secret_`));
    expect(created).toMatchObject({ status: "pending", rawStatus: "requires_payment_method" });
    const sent = fake.requests.find((item) => item.path === "/v1/payment_intents" && item.method === "POST");
    expect(sent?.headers.authorization).toBe(`Bearer ${KEYS.stripe}`);
    expect(sent?.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(sent?.headers["idempotency-key"]).toBe(request.id);
    expect(Object.fromEntries(new URLSearchParams(sent?.rawBody))).toMatchObject({ amount: "12550", currency: "usd", "automatic_payment_methods[enabled]": "true", "metadata[order_id]": request.id });

    // A retry with the same Idempotency-Key replays the same intent.
    const again = await engine.create(contextFor(provider(), secrets), request);
    expect(again.gatewayTransactionId).toBe(created.gatewayTransactionId);
    expect(fake.intents.size).toBeGreaterThan(0);

    const ref = { id: request.id, gatewayTransactionId: created.gatewayTransactionId };
    // PaymentIntent `amount_received`: nothing captured yet.
    expect(await engine.status(contextFor(provider(), secrets), ref)).toMatchObject({ status: "pending", amount: 0 });
    expect(await engine.cancel(contextFor(provider(), secrets), ref)).toMatchObject({ status: "cancelled", rawStatus: "canceled" });
    const twice = await gatewayError(engine.cancel(contextFor(provider(), secrets), ref));
    expect(twice).toMatchObject({ kind: "bad_request", status: 400, vendorCode: "payment_intent_unexpected_state", retryable: false });
  });

  it("succeeded → Stripe-Signature event (verified by the stripe library) → partial refund → charge.refunded", async () => {
    const engine = paymentEngines.embed_flow;
    const request = usd();
    const created = await engine.create(contextFor(provider(), secrets), request);
    fake.settle(created.gatewayTransactionId);
    await fake.postWebhook(created.gatewayTransactionId);
    let arrived = lastReceived();
    const event = stripe.webhooks.constructEvent(arrived.rawBody, arrived.headers["stripe-signature"] ?? "", KEYS.stripeWebhook);
    expect(event.type).toBe("payment_intent.succeeded");
    expect(parse(provider(), secrets, arrived)).toEqual({ eventId: event.id, gatewayTransactionId: created.gatewayTransactionId, orderId: request.id, status: "paid", rawStatus: "succeeded", amount: 12550 });

    const tampered = fake.webhook(created.gatewayTransactionId, { tamper: true });
    expect(() => stripe.webhooks.constructEvent(tampered.rawBody, tampered.headers["stripe-signature"] ?? "", KEYS.stripeWebhook)).toThrow();

    const refund = await engine.refund(contextFor(provider(), secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId, currency: "USD" }, { id: "rf-stripe-1", amount: 2_550, reason: "requested_by_customer" });
    expect(refund).toMatchObject({ status: "succeeded", rawStatus: "succeeded" });
    expect(refund.gatewayRefundId).toMatch(/^re_/);
    expect(fake.requests.at(-1)?.headers["idempotency-key"]).toBe("rf-stripe-1");

    await fake.postWebhook(created.gatewayTransactionId, { type: "charge.refunded" });
    arrived = lastReceived();
    expect(parse(provider(), secrets, arrived)).toMatchObject({ gatewayTransactionId: created.gatewayTransactionId, status: "partially_refunded", rawStatus: "succeeded", refundedAmount: 2550 });

    const tooMuch = await gatewayError(engine.refund(contextFor(provider(), secrets), { id: request.id, gatewayTransactionId: created.gatewayTransactionId, currency: "USD" }, { id: "rf-stripe-2", amount: 20_000, reason: "x" }));
    expect(tooMuch).toMatchObject({ vendorCode: "amount_too_large", retryable: false });
  });

  it("a declined card arrives as payment_intent.payment_failed → failed; a wrong key shows only Stripe's masked key", async () => {
    const request = usd();
    const created = await paymentEngines.embed_flow.create(contextFor(provider(), secrets), request);
    fake.fail(created.gatewayTransactionId);
    await fake.postWebhook(created.gatewayTransactionId);
    expect(parse(provider(), secrets, lastReceived())).toMatchObject({ status: "failed", rawStatus: "requires_payment_method" });

    const wrongKey = "sk_test_51WRONGKEYabcdefghijklmnopq";
    const error = await gatewayError(paymentEngines.embed_flow.create(contextFor(provider(), { secretKey: wrongKey }), usd()));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, retryable: false });
    expect(error.message).not.toContain(wrongKey);
  });
});

// ---------------------------------------------------------------- Omise

describe("Omise charges (direct_charge)", () => {
  let fake: OmiseFake;
  const secrets = { secretKey: KEYS.omise, webhookSecret: KEYS.omiseWebhook };

  beforeAll(async () => {
    fake = await startOmiseFake({ secretKey: KEYS.omise, webhookSecret: KEYS.omiseWebhook, webhookUrl: `${receiver.url}/webhook/payment/omise` });
  });
  afterAll(() => fake.close());

  const provider = () => providerFrom("omise-charges", fake.url);
  const thb = (overrides: Partial<PaymentRequest> = {}) => paymentRequest({ amount: 100_000, currency: "THB", ...overrides });

  it("3-D Secure charge → authorize_uri → successful → signed event → partial refund", async () => {
    const engine = paymentEngines.direct_charge;
    const request = thb({ token: "tokn_test_3ds_5xyz" });
    const created = await engine.create(contextFor(provider(), secrets), request);
    expect(created).toMatchObject({ status: "pending", rawStatus: "pending" });
    expect(created.redirectUrl).toMatch(/\/payments\/paym_test_.+\/authorize$/);
    const sent = fake.requests.find((item) => item.path === "/charges" && item.method === "POST");
    expect(sent?.headers.authorization).toBe(`Basic ${Buffer.from(`${KEYS.omise}:`).toString("base64")}`);
    expect(Object.fromEntries(new URLSearchParams(sent?.rawBody))).toMatchObject({ amount: "100000", currency: "thb", card: "tokn_test_3ds_5xyz", "metadata[order_id]": request.id });

    fake.settle(created.gatewayTransactionId);
    const ref = { id: request.id, gatewayTransactionId: created.gatewayTransactionId };
    expect(await engine.status(contextFor(provider(), secrets), ref)).toMatchObject({ status: "paid", rawStatus: "successful", amount: 100000 });

    await fake.postWebhook(created.gatewayTransactionId);
    const arrived = lastReceived();
    const expected = createHmac("sha256", Buffer.from(KEYS.omiseWebhook, "base64")).update(`${arrived.headers["omise-signature-timestamp"]}.${arrived.rawBody}`).digest();
    expect(timingSafeEqual(Buffer.from(arrived.headers["omise-signature"] ?? "", "hex"), expected)).toBe(true);
    const normalized = parse(provider(), secrets, arrived);
    expect(normalized).toMatchObject({ gatewayTransactionId: created.gatewayTransactionId, orderId: request.id, status: "paid", rawStatus: "successful", amount: 100000 });
    expect(normalized.eventId).toMatch(/^evnt_test_/);

    const refund = await engine.refund(contextFor(provider(), secrets), { ...ref, currency: "THB" }, { id: "rf-omise", amount: 30_000, reason: "x" });
    expect(refund).toMatchObject({ status: "succeeded", rawStatus: "closed" });
    expect(await engine.status(contextFor(provider(), secrets), ref)).toMatchObject({ status: "partially_refunded", refundedAmount: 30000 });
    await fake.postWebhook(created.gatewayTransactionId, { key: "refund.create" });
    expect(parse(provider(), secrets, lastReceived())).toMatchObject({ status: "partially_refunded", refundedAmount: 30000 });
  });

  it("a declined card is a failed charge (not an error); no token is refused before calling", async () => {
    const created = await paymentEngines.direct_charge.create(contextFor(provider(), secrets), thb({ token: "tokn_test_declined_1" }));
    expect(created).toMatchObject({ status: "failed", rawStatus: "failed" });
    await expect(paymentEngines.direct_charge.create(contextFor(provider(), secrets), thb())).rejects.toBeInstanceOf(InvalidInputError);
    const unknownToken = await gatewayError(paymentEngines.direct_charge.create(contextFor(provider(), secrets), thb({ token: "tokn_live_nope" })));
    expect(unknownToken).toMatchObject({ kind: "not_found", vendorCode: "not_found", status: 404 });
  });
});

// ---------------------------------------------------------------- amounts

describe("amount problems", () => {
  const stripe = () => providerFrom("stripe-payment-intents", "https://api.stripe.com");
  const midtrans = () => providerFrom("midtrans-snap", "https://app.midtrans.com");
  const omise = () => providerFrom("omise-charges", "https://api.omise.co");

  it("explains what cannot be expressed", () => {
    expect(paymentEngines.embed_flow.problemWith(stripe(), 40, "USD")).toBe("USD 0.40 is below Stripe PaymentIntents's minimum of USD 0.50");
    expect(paymentEngines.embed_flow.problemWith(stripe(), 50, "USD")).toBeUndefined();
    expect(paymentEngines.embed_flow.problemWith(stripe(), 50_000, "IDR")).toContain("IDR is not one of its currencies");
    expect(paymentEngines.redirect_flow.problemWith(midtrans(), 1000, "USD")).toBe("Midtrans Snap is set up for IDR only; USD is not one of its currencies (config.currencies)");
    expect(paymentEngines.redirect_flow.problemWith(midtrans(), 150_000.5, "IDR")).toContain("positive whole number of IDR's minor unit");
    expect(paymentEngines.redirect_flow.problemWith(midtrans(), -5, "IDR")).toContain("positive whole number");
    expect(paymentEngines.redirect_flow.problemWith(midtrans(), 100, "XYZ")).toContain("XYZ is not a currency");
    expect(paymentEngines.redirect_flow.problemWith(midtrans(), 100, "rupiah")).toContain("not a currency code");
    expect(paymentEngines.direct_charge.problemWith(omise(), 1999, "THB")).toBe("THB 19.99 is below Omise (Opn) Charges's minimum of THB 20.00");
    expect(paymentEngines.direct_charge.problemWith(omise(), 100, "JPY")).toBeUndefined();
  });

  it("a gateway counting a currency in a bigger unit cannot take what it cannot express", () => {
    const record = providerFrom("stripe-payment-intents", "https://api.stripe.com", { config: { currencies: ["KWD"], minimumAmount: {}, amount: { unit: "minor", exponents: { KWD: 2 } } } });
    expect(paymentEngines.embed_flow.problemWith(record, 1005, "KWD")).toContain("takes KWD in steps of KWD 0.010");
    expect(paymentEngines.embed_flow.problemWith(record, 1000, "KWD")).toBeUndefined();
  });

  it("create refuses a problem amount before calling the gateway", async () => {
    let called = false;
    const context = contextFor(midtrans(), { serverKey: KEYS.midtrans }, async () => {
      called = true;
      throw new Error("should not be called");
    });
    await expect(paymentEngines.redirect_flow.create(context, paymentRequest({ currency: "USD", amount: 100 }))).rejects.toBeInstanceOf(InvalidInputError);
    expect(called).toBe(false);
  });
});

// ---------------------------------------------------------------- vendor expiry formats

describe("the gateway's expiry, as the record says the vendor writes it", () => {
  const answer = (body: Record<string, unknown>) => async () => ({ status: 201, headers: {}, body: JSON.stringify(body), latencyMs: 1 });
  const qrisAnswer = (expiry: unknown) => answer({ status_code: "201", transaction_id: "t1", transaction_status: "pending", qr_string: "000201", expiry_time: expiry });
  const secrets = { serverKey: KEYS.midtrans };

  it("reads Midtrans' expiry_time (YYYY-MM-DD HH:mm:ss, GMT+7) into UTC", async () => {
    const qris = providerFrom("midtrans-core-qris", "https://api.midtrans.com");
    const created = await paymentEngines.qris_dynamic.create(contextFor(qris, secrets, qrisAnswer("2026-11-23 18:00:00")), paymentRequest());
    expect(created.expiresAt).toBe("2026-11-23T11:00:00.000Z");
    // A time that is not one (31 November) is left out rather than rolled into December.
    const bad = await paymentEngines.qris_dynamic.create(contextFor(qris, secrets, qrisAnswer("2026-11-31 18:00:00")), paymentRequest());
    expect(bad.expiresAt).toBeUndefined();
  });

  it("without a format, only a time that carries its offset is read; epoch formats too", async () => {
    const base = providerFrom("midtrans-core-qris", "https://api.midtrans.com");
    const create = (base.config.response as { create: Record<string, unknown> }).create;
    const withSpec = (spec: Record<string, unknown>) => ({ ...base, config: { ...base.config, response: { ...(base.config.response as object), create: { ...create, expiresAtFormat: undefined, expiresAtTimezone: undefined, ...spec } } } });
    const expiry = async (spec: Record<string, unknown>, value: unknown) => (await paymentEngines.qris_dynamic.create(contextFor(withSpec(spec), secrets, qrisAnswer(value)), paymentRequest())).expiresAt;
    expect(await expiry({}, "2026-11-23 18:00:00")).toBeUndefined();
    expect(await expiry({}, "2026-11-23T18:00:00+07:00")).toBe("2026-11-23T11:00:00.000Z");
    expect(await expiry({}, "2016-12-07 11:54:12 +0700")).toBe("2016-12-07T04:54:12.000Z");
    expect(await expiry({ expiresAtFormat: "YYYYMMDDHHmmss", expiresAtTimezone: "+07:00" }, "20261123180000")).toBe("2026-11-23T11:00:00.000Z");
    expect(await expiry({ expiresAtFormat: "epochSeconds" }, 1_795_000_000)).toBe(new Date(1_795_000_000_000).toISOString());
    expect(await expiry({ expiresAtFormat: "epochMillis" }, "1795000000000")).toBe(new Date(1_795_000_000_000).toISOString());
  });
});

// ---------------------------------------------------------------- malformed answers and transport errors

describe("malformed answers and transport errors", () => {
  const answer = (status: number, body: string) => async () => ({ status, headers: {}, body, latencyMs: 1 });
  const snap = () => providerFrom("midtrans-snap", "https://app.midtrans.com");
  const secrets = { serverKey: KEYS.midtrans };

  it("a 2xx answer without what the format promises is a clear malformed_response", async () => {
    const missing = await gatewayError(paymentEngines.redirect_flow.create(contextFor(snap(), secrets, answer(201, JSON.stringify({ token: "abc" }))), paymentRequest()));
    expect(missing).toMatchObject({ kind: "malformed_response", code: "error", retryable: false });
    expect(missing.message).toContain("the gateway's answer had no redirect URL at redirect_url");

    const notJson = await gatewayError(paymentEngines.redirect_flow.create(contextFor(snap(), secrets, answer(200, "<html>hello</html>")), paymentRequest()));
    expect(notJson.message).toContain("was not JSON");

    const qris = providerFrom("midtrans-core-qris", "https://api.midtrans.com");
    const noQr = await gatewayError(paymentEngines.qris_dynamic.create(contextFor(qris, secrets, answer(200, JSON.stringify({ status_code: "201", transaction_id: "t1", transaction_status: "pending" }))), paymentRequest()));
    expect(noQr.message).toContain("no QR string at qr_string");

    const unknownStatus = await gatewayError(paymentEngines.qris_dynamic.create(contextFor(qris, secrets, answer(200, JSON.stringify({ transaction_id: "t1", transaction_status: "weird", qr_string: "000201" }))), paymentRequest()));
    expect(unknownStatus).toMatchObject({ kind: "config" });
    expect(unknownStatus.message).toContain('status "weird"');
  });

  it("5xx, 429 and timeouts are retryable; connection failures too; vendor text is scrubbed of secrets", async () => {
    const five = await gatewayError(paymentEngines.redirect_flow.create(contextFor(snap(), secrets, answer(503, JSON.stringify({ error_messages: ["Service Unavailable"] }))), paymentRequest()));
    expect(five).toMatchObject({ kind: "unavailable", status: 503, retryable: true, vendorMessage: "Service Unavailable" });
    // A resilience ProviderError: the pipeline classifies it as it is.
    expect(five).toBeInstanceOf(ProviderError);
    expect(five).toMatchObject({ code: "unavailable", delivery: "yes" });
    expect(classify(five)).toBe(five);

    const limited = await gatewayError(
      paymentEngines.redirect_flow.create(contextFor(snap(), secrets, async () => ({ status: 429, headers: { "Retry-After": "7" }, body: "", latencyMs: 1 })), paymentRequest()),
    );
    expect(limited).toMatchObject({ kind: "rate_limited", code: "throttled", retryable: true, retryAfterMs: 7000 });

    const timeout = await gatewayError(
      paymentEngines.redirect_flow.create(contextFor(snap(), secrets, async (request) => { throw new HttpTimeoutError(request.url, 30_000); }), paymentRequest()),
    );
    expect(timeout).toMatchObject({ kind: "timeout", code: "timeout", retryable: true, delivery: "maybe" });

    const closed = await startServer(() => ({ status: 200 }));
    await closed.close();
    const refused = await gatewayError(
      paymentEngines.redirect_flow.create(contextFor(snap(), secrets, (request) => new NodeHttp(2_000).fetch({ ...request, url: request.url.replace("https://app.midtrans.com", closed.url) })), paymentRequest()),
    );
    expect(refused).toMatchObject({ kind: "unavailable", retryable: true, vendorCode: "ECONNREFUSED", delivery: "no" });

    const echo = await gatewayError(paymentEngines.redirect_flow.create(contextFor(snap(), secrets, answer(400, JSON.stringify({ error_messages: [`bad key ${KEYS.midtrans}`] }))), paymentRequest()));
    expect(echo.message).not.toContain(KEYS.midtrans);
    expect(echo.vendorMessage).toBe("bad key ••••");
  });

  it("webhooks that cannot be read throw InvalidWebhookError", () => {
    const record = providerFrom("midtrans-core-qris", "https://api.midtrans.com");
    expect(() => parse(record, secrets, { rawBody: "not json", headers: {} })).toThrow(InvalidWebhookError);
    expect(() => parse(record, secrets, { rawBody: JSON.stringify({ order_id: "a", transaction_id: "b" }), headers: {} })).toThrow(/no status at transaction_status/);
    expect(() => parse(record, secrets, { rawBody: JSON.stringify({ order_id: "a", transaction_id: "b", transaction_status: "mystery" }), headers: {} })).toThrow(/"mystery" is not in/);
  });
});
