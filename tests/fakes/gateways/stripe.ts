import { createHmac, randomBytes } from "node:crypto";
import { basicUser, formBody, header, isForm, postBuilt, startServer, tamperWith, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated Stripe PaymentIntents (api.stripe.com).
 *
 * As documented (https://docs.stripe.com/api):
 * - Auth: `Authorization: Bearer sk_test_…`; a wrong key is 401 with
 *   `{ error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****…" } }`.
 * - Requests are form-encoded with bracket keys (`metadata[order_id]`, `automatic_payment_methods[enabled]`).
 * - Errors: `{ error: { type, code, decline_code?, message, param? } }`; parameter_missing 400,
 *   resource_missing 404, amount_too_small 400, payment_intent_unexpected_state 400, card errors 402.
 * - `Idempotency-Key`: the same key with the same parameters replays the first answer
 *   (`Idempotent-Replayed: true`); with other parameters it is an `idempotency_error`.
 * - PaymentIntent statuses requires_payment_method, requires_confirmation, requires_action,
 *   processing, requires_capture, canceled, succeeded; refunds are objects of their own.
 * - Webhook events `{ id, object: "event", type, data: { object } }` signed with
 *   `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(endpoint secret, "t.payload")>`
 *   (https://docs.stripe.com/webhooks#verify-manually).
 */

interface Intent {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: "automatic";
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: Record<string, unknown> | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string | null;
  status: "requires_payment_method" | "requires_confirmation" | "requires_action" | "processing" | "requires_capture" | "canceled" | "succeeded";
}

interface Charge {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  paid: boolean;
  refunded: boolean;
  status: "succeeded" | "pending" | "failed";
  metadata: Record<string, string>;
  created: number;
}

/** Minimum charge amounts in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
const MINIMUMS: Record<string, number> = { usd: 50, sgd: 50, myr: 200, thb: 1000, eur: 50, aud: 50, gbp: 30, hkd: 400, jpy: 50 };
const CANCELLABLE = new Set(["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"]);

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x").slice(0, 24)}`;

export async function startStripeFake(options: { secretKey: string; webhookSecret?: string; webhookUrl?: string; clock?: () => number }) {
  const webhookSecret = options.webhookSecret ?? `whsec_${randomBytes(16).toString("hex")}`;
  const now = options.clock ?? (() => Date.now());
  const seconds = () => Math.floor(now() / 1000);
  const intents = new Map<string, Intent>();
  const charges = new Map<string, Charge>();
  const events = new Map<string, Record<string, unknown>[]>();
  const idempotency = new Map<string, { fingerprint: string; response: FakeResponse }>();

  const error = (status: number, fields: Record<string, unknown>): FakeResponse => ({ status, body: { error: fields } });

  function emit(intentId: string, type: string, object: unknown): void {
    const list = events.get(intentId) ?? [];
    list.push({ id: id("evt"), object: "event", api_version: "2024-06-20", created: seconds(), data: { object: structuredClone(object) }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type });
    events.set(intentId, list);
  }

  function authError(request: FakeRequest): FakeResponse | undefined {
    const auth = header(request, "authorization");
    if (!auth) return error(401, { type: "invalid_request_error", message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')." });
    // Bearer, or Basic with the key as the user name (https://docs.stripe.com/api/authentication).
    const key = basicUser(request)?.user ?? auth.replace(/^Bearer\s+/i, "");
    if (key !== options.secretKey) return error(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` });
    return undefined;
  }

  function createIntent(params: Record<string, unknown>): FakeResponse {
    if (params.amount === undefined) return error(400, { code: "parameter_missing", message: "Missing required param: amount.", param: "amount", type: "invalid_request_error" });
    if (params.currency === undefined) return error(400, { code: "parameter_missing", message: "Missing required param: currency.", param: "currency", type: "invalid_request_error" });
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount < 0) return error(400, { code: "parameter_invalid_integer", message: "Invalid integer: amount", param: "amount", type: "invalid_request_error" });
    const currency = String(params.currency).toLowerCase();
    const minimum = MINIMUMS[currency];
    if (minimum === undefined) return error(400, { code: "parameter_invalid_string", message: `Invalid currency: ${currency}.`, param: "currency", type: "invalid_request_error" });
    if (amount < minimum) return error(400, { code: "amount_too_small", message: `Amount must be at least ${minimum} ${currency}`, param: "amount", type: "invalid_request_error" });
    const intentId = id("pi");
    const automatic = params.automatic_payment_methods as Record<string, unknown> | undefined;
    const intent: Intent = {
      id: intentId,
      object: "payment_intent",
      amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods: automatic ? { enabled: automatic.enabled === "true" } : null,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic",
      client_secret: `${intentId}_secret_${randomBytes(12).toString("hex")}`,
      confirmation_method: "automatic",
      created: seconds(),
      currency,
      description: typeof params.description === "string" ? params.description : null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: (params.metadata as Record<string, string> | undefined) ?? {},
      payment_method: null,
      status: "requires_payment_method",
    };
    intents.set(intentId, intent);
    emit(intentId, "payment_intent.created", intent);
    return { status: 200, body: intent };
  }

  function cancelIntent(intentId: string, reason: string | null): FakeResponse {
    const intent = intents.get(intentId);
    if (!intent) return missing("payment_intent", intentId, "intent");
    if (!CANCELLABLE.has(intent.status)) {
      return error(400, {
        code: "payment_intent_unexpected_state",
        message: `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        type: "invalid_request_error",
      });
    }
    intent.status = "canceled";
    intent.canceled_at = seconds();
    intent.cancellation_reason = reason;
    emit(intent.id, "payment_intent.canceled", intent);
    return { status: 200, body: intent };
  }

  function missing(kind: string, value: string, param: string): FakeResponse {
    return error(404, { code: "resource_missing", message: `No such ${kind}: '${value}'`, param, type: "invalid_request_error" });
  }

  function createRefund(params: Record<string, unknown>): FakeResponse {
    const intentId = typeof params.payment_intent === "string" ? params.payment_intent : undefined;
    if (!intentId) return error(400, { code: "parameter_missing", message: "One of the following params should be provided for this request: payment_intent or charge.", type: "invalid_request_error" });
    const intent = intents.get(intentId);
    if (!intent) return missing("payment_intent", intentId, "payment_intent");
    const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined;
    if (!charge || intent.status !== "succeeded") {
      return error(400, { code: "charge_not_refundable", message: `This PaymentIntent (${intentId}) does not have a successful charge to refund.`, type: "invalid_request_error" });
    }
    const remaining = charge.amount - charge.amount_refunded;
    const amount = params.amount === undefined ? remaining : Number(params.amount);
    if (!Number.isInteger(amount) || amount <= 0) return error(400, { code: "parameter_invalid_integer", message: "Invalid integer: amount", param: "amount", type: "invalid_request_error" });
    if (amount > remaining) {
      return error(400, { code: "amount_too_large", message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, param: "amount", type: "invalid_request_error" });
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount;
    const refund = { id: id("re"), object: "refund", amount, balance_transaction: id("txn"), charge: charge.id, created: seconds(), currency: charge.currency, metadata: {}, payment_intent: intent.id, reason: null, receipt_number: null, status: "succeeded" };
    emit(intent.id, "charge.refunded", charge);
    return { status: 200, body: refund };
  }

  const server = await startServer((request) => {
    const denied = authError(request);
    if (denied) return denied;
    if (request.method === "POST" && request.rawBody !== "" && !isForm(request)) {
      return error(400, { type: "invalid_request_error", message: "Invalid request: request parameters should be form-encoded (Content-Type: application/x-www-form-urlencoded)." });
    }
    const params = formBody(request);
    const key = header(request, "idempotency-key");
    const fingerprint = `${request.method} ${request.path} ${request.rawBody}`;
    if (key && request.method === "POST") {
      const seen = idempotency.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return error(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (seen) return { ...seen.response, headers: { ...seen.response.headers, "idempotent-replayed": "true" } };
    }
    const response = route(request, params);
    if (key && request.method === "POST" && response.status < 500) idempotency.set(key, { fingerprint, response });
    return response;
  });

  function route(request: FakeRequest, params: Record<string, unknown>): FakeResponse {
    const { method, path } = request;
    if (method === "POST" && path === "/v1/payment_intents") return createIntent(params);
    // The read-only call a connection check makes (https://docs.stripe.com/api/balance/balance_retrieve).
    if (method === "GET" && path === "/v1/balance") {
      const money = [{ amount: 0, currency: "idr", source_types: { card: 0 } }];
      return { status: 200, body: { object: "balance", available: money, connect_reserved: [{ amount: 0, currency: "idr" }], livemode: false, pending: money } };
    }
    let match = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === "GET" && match?.[1]) {
      const intent = intents.get(match[1]);
      return intent ? { status: 200, body: intent } : missing("payment_intent", match[1], "intent");
    }
    match = /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path);
    if (method === "POST" && match?.[1]) return cancelIntent(match[1], typeof params.cancellation_reason === "string" ? params.cancellation_reason : null);
    if (method === "POST" && path === "/v1/refunds") return createRefund(params);
    return error(404, { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` });
  }

  function mustFind(intentId: string): Intent {
    const intent = intents.get(intentId) ?? [...intents.values()].find((item) => item.metadata.order_id === intentId);
    if (!intent) throw new Error(`stripe fake: no PaymentIntent ${intentId}`);
    return intent;
  }

  /** The customer confirmed with a card that worked. */
  function settle(intentId: string): Intent {
    const intent = mustFind(intentId);
    const charge: Charge = {
      id: id("ch"),
      object: "charge",
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      currency: intent.currency,
      payment_intent: intent.id,
      paid: true,
      refunded: false,
      status: "succeeded",
      metadata: intent.metadata,
      created: seconds(),
    };
    charges.set(charge.id, charge);
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    intent.latest_charge = charge.id;
    intent.payment_method = id("pm");
    emit(intent.id, "payment_intent.succeeded", intent);
    return intent;
  }

  /** The card was declined: the intent goes back to requires_payment_method. */
  function fail(intentId: string): Intent {
    const intent = mustFind(intentId);
    intent.last_payment_error = { code: "card_declined", decline_code: "generic_decline", message: "Your card was declined.", type: "card_error" };
    intent.status = "requires_payment_method";
    emit(intent.id, "payment_intent.payment_failed", intent);
    return intent;
  }

  /** Stripe has no expiry; an abandoned intent is canceled. */
  function expire(intentId: string): Intent {
    cancelIntent(mustFind(intentId).id, "abandoned");
    return mustFind(intentId);
  }

  /** The latest event for this intent (or the one of the given type), signed. */
  function webhook(intentId: string, opts: WebhookOptions & { type?: string } = {}): BuiltWebhook {
    const intent = mustFind(intentId);
    const list = events.get(intent.id) ?? [];
    const event = opts.type ? list.findLast((item) => item.type === opts.type) : list.at(-1);
    if (!event) throw new Error(`stripe fake: no ${opts.type ?? ""} event for ${intent.id}`);
    const payload = JSON.stringify(event, null, 2);
    const timestamp = seconds();
    const signature = createHmac("sha256", webhookSecret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
    return {
      url: opts.url ?? options.webhookUrl,
      headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": `t=${timestamp},v1=${signature}` },
      rawBody: opts.tamper ? tamperWith(payload) : payload,
    };
  }

  async function postWebhook(intentId: string, opts: WebhookOptions & { type?: string } = {}): Promise<Delivery> {
    return postBuilt(webhook(intentId, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, intents, charges, find: mustFind, settle, fail, expire, webhook, postWebhook };
}

export type StripeFake = Awaited<ReturnType<typeof startStripeFake>>;
