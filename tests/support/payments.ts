import type { InboundWebhook } from "@sambung/core/inbound/index";
import type { Payment } from "@sambung/core/payment/index";
import type { ProviderView } from "@sambung/core/provider/index";
import { readFileSync } from "node:fs";
import { startDokuFake, startIpaymuFake, startMidtransFake, startOmiseFake, startStripeFake, startXenditFake } from "../fakes/gateways/index.ts";
import { createSubscription, ownerApi } from "./outbound.ts";
import { call, startTestRuntime, type TestRuntime } from "./runtime.ts";
import { startReceiver, type Received, type Receiver } from "./webhook-receiver.ts";
import { waitFor } from "./wait.ts";

/** Test credentials for the simulated gateways; none is a real key. */
export const KEYS = {
  midtrans: "SB-Mid-server-E2EKEY0123456789abcd",
  xendit: "xnd_development_E2EKEY0123456789abcdefghijklmnop",
  xenditToken: "xendit-callback-token-e2e-0123456789",
  stripe: "sk_test_51E2EKEY0123456789abcdefghijklmnop",
  stripeWebhook: "whsec_test_e2e_0123456789abcdefghijklmnop",
  omise: "skey_test_5E2EKEY0123456789abc",
  omiseWebhook: Buffer.from("omise-webhook-signing-secret-e2e").toString("base64"),
  dokuClient: "BRN-0201-1700000000002",
  doku: "SK-E2EKEY0123456789abcd",
  ipaymuVa: "0000009876543210",
  ipaymu: "SANDBOX-E2EKEY-0123-4567-89AB-CDEF",
};

export type Api = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: T; headers: Headers }>;

/** Calls a hub with a fixed bearer token (an owner session or an API key). */
export function bearer(url: string, token: string): Api {
  return (method, path, body, headers = {}) => call(url, method, path, body, { authorization: `Bearer ${token}`, ...headers });
}

export async function startGateways(clock: () => number = () => Date.now()) {
  const [midtrans, xendit, doku, ipaymu, stripe, omise] = await Promise.all([
    startMidtransFake({ serverKey: KEYS.midtrans, clock }),
    startXenditFake({ secretKey: KEYS.xendit, callbackToken: KEYS.xenditToken, clock }),
    startDokuFake({ clientId: KEYS.dokuClient, secretKey: KEYS.doku, clock }),
    startIpaymuFake({ va: KEYS.ipaymuVa, apiKey: KEYS.ipaymu, clock }),
    startStripeFake({ secretKey: KEYS.stripe, webhookSecret: KEYS.stripeWebhook, clock }),
    startOmiseFake({ secretKey: KEYS.omise, webhookSecret: KEYS.omiseWebhook, clock }),
  ]);
  return {
    midtrans,
    xendit,
    doku,
    ipaymu,
    stripe,
    omise,
    close: () => Promise.all([midtrans, xendit, doku, ipaymu, stripe, omise].map((fake) => fake.close())),
  };
}
export type Gateways = Awaited<ReturnType<typeof startGateways>>;

function presetFile(id: string): { apiFormat: string; config: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../../presets/payment/${id}.json`, import.meta.url), "utf8")) as { apiFormat: string; config: Record<string, unknown> };
}

/** GoPay through Midtrans' Core API: the e_wallet_redirect format on the QRIS preset, with the deeplink as the redirect. */
function gopayConfig(): Record<string, unknown> {
  const base = presetFile("midtrans-core-qris").config as { endpoints: { create: { body: Record<string, unknown> } }; response: { create: Record<string, unknown> } };
  const { qris: _qris, ...body } = base.endpoints.create.body;
  return {
    endpoints: { ...base.endpoints, create: { ...base.endpoints.create, body: { ...body, payment_type: "gopay", gopay: { enable_callback: true, callback_url: "{{urls.return}}" } } } },
    response: { ...base.response, create: { ...base.response.create, redirectUrl: "actions[name=deeplink-redirect].url" } },
  };
}

/** What each registered provider is: preset, format, the fake it points at, its secrets and config changes. */
export function providerSpecs(gateways: Gateways) {
  const { midtrans, xendit, doku, ipaymu, stripe, omise } = gateways;
  return {
    "midtrans-snap": { presetId: "midtrans-snap", url: midtrans.url, secrets: { serverKey: KEYS.midtrans }, config: { hosts: { api: { production: midtrans.url, sandbox: midtrans.url } } } },
    "midtrans-qris": { presetId: "midtrans-core-qris", url: midtrans.url, secrets: { serverKey: KEYS.midtrans } },
    "midtrans-va": { presetId: "midtrans-core-bank-transfer", url: midtrans.url, secrets: { serverKey: KEYS.midtrans } },
    "midtrans-gopay": { presetId: "midtrans-core-qris", apiFormat: "e_wallet_redirect", url: midtrans.url, secrets: { serverKey: KEYS.midtrans }, config: gopayConfig() },
    "xendit-invoice": { presetId: "xendit-invoice", url: xendit.url, secrets: { serverKey: KEYS.xendit, webhookSecret: KEYS.xenditToken } },
    "xendit-qris": { presetId: "xendit-qris", url: xendit.url, secrets: { serverKey: KEYS.xendit, webhookSecret: KEYS.xenditToken } },
    "xendit-va": { presetId: "xendit-virtual-account", url: xendit.url, secrets: { serverKey: KEYS.xendit, webhookSecret: KEYS.xenditToken } },
    doku: { presetId: "doku-checkout", url: doku.url, secrets: { serverKey: KEYS.doku }, config: { clientId: KEYS.dokuClient } },
    // iPaymu signs callbacks with the merchant VA: the preset's verifier keys with config.va, so no webhook secret is entered.
    ipaymu: { presetId: "ipaymu-redirect", url: ipaymu.url, secrets: { serverKey: KEYS.ipaymu }, config: { va: KEYS.ipaymuVa } },
    stripe: { presetId: "stripe-payment-intents", url: stripe.url, secrets: { secretKey: KEYS.stripe, webhookSecret: KEYS.stripeWebhook } },
    omise: { presetId: "omise-charges", url: omise.url, secrets: { secretKey: KEYS.omise, webhookSecret: KEYS.omiseWebhook } },
  } satisfies Record<string, { presetId: string; apiFormat?: string; url: string; secrets: Record<string, string>; config?: Record<string, unknown> }>;
}
export type ProviderName = keyof ReturnType<typeof providerSpecs>;

/** The feature key each provider is mapped to. */
export const featureOf = (name: string) => `payment.${name.replace(/-/g, "_")}`;

/**
 * Registers every provider from its preset, pointed at its fake (both base URLs, so the
 * record's test mode does not matter), and maps a feature to each.
 */
export async function registerProviders(admin: Api, gateways: Gateways, only?: readonly ProviderName[]): Promise<Record<ProviderName, ProviderView>> {
  const specs = providerSpecs(gateways);
  const names = (only ?? (Object.keys(specs) as ProviderName[])).filter((name, index, all) => all.indexOf(name) === index);
  const out: Partial<Record<ProviderName, ProviderView>> = {};
  for (const name of names) {
    const spec: { presetId: string; apiFormat?: string; url: string; secrets: Record<string, string>; config?: Record<string, unknown> } = specs[name];
    const created = await admin<ProviderView>("POST", "/api/admin/providers", {
      type: "payment",
      name: `E2E ${name}`,
      slug: `e2e-${name}`,
      presetId: spec.presetId,
      apiFormat: spec.apiFormat ?? presetFile(spec.presetId).apiFormat,
      baseUrl: spec.url,
      sandboxBaseUrl: spec.url,
      secrets: spec.secrets,
      config: spec.config ?? {},
    });
    if (created.status !== 201) throw new Error(`provider ${name} not created: ${created.status} ${JSON.stringify(created.body)}`);
    out[name] = created.body;
  }
  const mapped = await admin("PUT", "/api/admin/features", {
    mappings: names.map((name) => ({ featureKey: featureOf(name), primaryProviderId: out[name]?.id ?? "" })),
  });
  if (mapped.status !== 200) throw new Error(`features not mapped: ${mapped.status} ${JSON.stringify(mapped.body)}`);
  return out as Record<ProviderName, ProviderView>;
}

/** An amount and currency the provider takes (and, for Omise, a card token). */
export function moneyFor(name: ProviderName): { amount: number; currency: string; token?: string } {
  if (name === "stripe") return { amount: 12_550, currency: "USD" };
  if (name === "omise") return { amount: 100_000, currency: "THB", token: "tokn_test_3ds_e2e" };
  return { amount: 150_000, currency: "IDR" };
}

export interface PaymentsHub {
  hub: TestRuntime;
  gateways: Gateways;
  providers: Record<ProviderName, ProviderView>;
  /** The owner. */
  admin: Api;
  /** The PMS, with a payments API key. */
  pms: Api;
  /** Subscribed to `payment.*`. */
  receiver: Receiver;
  close(): Promise<void>;
}

/**
 * A hub with the gateways' providers registered (`only` some of them), an API key for the
 * PMS and a receiver subscribed to payment events. `renewSessions` signs the owner in again
 * when the test's clock outruns the session.
 */
export async function startPaymentsHub(options: { only?: readonly ProviderName[]; renewSessions?: boolean } = {}): Promise<PaymentsHub> {
  // Closed in reverse order, also when a later step fails.
  const started: { close(): Promise<unknown> }[] = [];
  const close = async () => {
    for (const part of started.splice(0).reverse()) await part.close();
  };
  try {
    const hub = await startTestRuntime({ allowPrivateUrls: true });
    started.push(hub);
    const gateways = await startGateways(() => hub.clock.now());
    started.push(gateways);
    const admin = options.renewSessions ? ownerApi(hub) : bearer(hub.url, hub.token);
    const providers = await registerProviders(admin, gateways, options.only);
    const pms = bearer(hub.url, await createApiKey(admin));
    const receiver = await startReceiver();
    started.push(receiver);
    await createSubscription(admin, { url: receiver.url, eventTypes: ["payment.*"] });
    return { hub, gateways, providers, admin, pms, receiver, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function createApiKey(admin: Api, scopes: string[] = ["payments"]): Promise<string> {
  const { status, body } = await admin<{ key: string }>("POST", "/api/admin/api-keys", { name: "PMS", scopes, rateLimitPerMinute: 100_000 });
  if (status !== 201) throw new Error(`API key not created: ${status} ${JSON.stringify(body)}`);
  return body.key;
}

let keys = 0;
/** A fresh Idempotency-Key. */
export const idemKey = () => `idem-${Date.now().toString(36)}-${(keys += 1)}`;

export interface CreateBody {
  featureKey: string;
  reference: string;
  amount: number;
  currency: string;
  [field: string]: unknown;
}

/** POST /api/v1/payments, failing the test on anything but 201. */
export async function createPayment(pms: Api, body: CreateBody, key = idemKey()): Promise<Payment> {
  const created = await pms<Payment>("POST", "/api/v1/payments", body, { "idempotency-key": key });
  if (created.status !== 201) throw new Error(`payment not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}

export async function getPayment(pms: Api, id: string): Promise<Payment> {
  const { status, body } = await pms<Payment>("GET", `/api/v1/payments/${id}`);
  if (status !== 200) throw new Error(`payment ${id}: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** Waits until the payment reaches `status`. */
export async function waitForStatus(pms: Api, id: string, status: Payment["status"], timeoutMs = 10_000): Promise<Payment> {
  return waitFor(
    async () => {
      const payment = await getPayment(pms, id);
      return payment.status === status ? payment : undefined;
    },
    `payment ${id} to be ${status}`,
    timeoutMs,
  );
}

export async function inbound(admin: Api, query = ""): Promise<InboundWebhook[]> {
  const { status, body } = await admin<{ items: InboundWebhook[] }>("GET", `/api/admin/webhooks/inbound?limit=200${query ? `&${query}` : ""}`);
  if (status !== 200) throw new Error(`inbound list: ${status} ${JSON.stringify(body)}`);
  return body.items;
}

/** Outgoing webhooks the receiver got for one payment, by event type. */
export function eventsFor(received: Received[], paymentId: string, type?: string): { id: string; type: string; data: Record<string, unknown> }[] {
  return received
    .map((item) => JSON.parse(item.body) as { id: string; type: string; data: Record<string, unknown> })
    .filter((event) => event.data.paymentId === paymentId && (!type || event.type === type));
}
