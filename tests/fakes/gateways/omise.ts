import { createHmac, randomBytes } from "node:crypto";
import { anyBody, basicUser, postBuilt, startServer, tamperWith, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated Omise (Opn Payments) Charges API (api.omise.co).
 *
 * As documented:
 * - Auth: HTTP Basic with the secret key (`skey_test_…`) as user name, empty password; errors
 *   are `{ object: "error", location, code, message }` (authentication_failure 401,
 *   not_found 404, invalid_charge 400) (https://docs.omise.co/api-errors).
 * - POST /charges (form or JSON: amount in the smallest unit, currency, card token or source,
 *   return_uri, description, metadata); minimums THB 20.00, JPY 100, SGD 1.00, MYR 1.00
 *   (https://docs.omise.co/currency-and-amount).
 * - Charge statuses pending, successful, failed, expired, reversed; a 3-D Secure charge is
 *   pending with `authorize_uri` (https://docs.omise.co/charges-api).
 * - POST /charges/{id}/refunds → a refund object; POST /charges/{id}/reverse for an
 *   authorized, uncaptured charge; POST /charges/{id}/expire for a pending one
 *   (https://docs.omise.co/refunds-api).
 * - Webhooks: event `{ object: "event", id, key, data: <charge>, created_at }`, signed with
 *   `Omise-Signature` = hex HMAC-SHA256(base64-decoded webhook secret, timestamp + "." + body)
 *   and `Omise-Signature-Timestamp` (scheme as in the preset's notes: unverified).
 *
 * Test tokens: `tokn_test_3ds…` → pending with authorize_uri; `tokn_test_declined…` → failed
 * (insufficient_fund); any other `tokn_test_…` → successful.
 */

type ChargeStatus = "pending" | "successful" | "failed" | "expired" | "reversed";

interface Charge {
  object: "charge";
  id: string;
  location: string;
  livemode: false;
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown>;
  status: ChargeStatus;
  capture: boolean;
  authorized: boolean;
  reversed: boolean;
  paid: boolean;
  transaction: string | null;
  refunded_amount: number;
  refunds: { object: "list"; data: Record<string, unknown>[] };
  failure_code: string | null;
  failure_message: string | null;
  authorize_uri: string | null;
  return_uri: string | null;
  card: Record<string, unknown> | null;
  created_at: string;
}

const MINIMUMS: Record<string, number> = { THB: 2000, JPY: 100, SGD: 100, MYR: 100 };
const oid = (prefix: string) => `${prefix}_test_${randomBytes(10).toString("hex").slice(0, 19)}`;

export async function startOmiseFake(options: { secretKey: string; webhookSecret: string; webhookUrl?: string; clock?: () => number }) {
  const now = options.clock ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const charges = new Map<string, Charge>();
  const events = new Map<string, Record<string, unknown>[]>();
  let baseUrl = "";

  const error = (status: number, code: string, message: string): FakeResponse => ({
    status,
    body: { object: "error", location: `https://www.omise.co/api-errors#${code.replace(/_/g, "-")}`, code, message },
  });

  function emit(charge: Charge, key: string): void {
    const list = events.get(charge.id) ?? [];
    const eventId = oid("evnt");
    list.push({ object: "event", id: eventId, livemode: false, location: `/events/${eventId}`, webhook_deliveries: [], data: structuredClone(charge), key, created_at: iso() });
    events.set(charge.id, list);
  }

  function authorized(request: FakeRequest): boolean {
    const basic = basicUser(request);
    return basic !== undefined && basic.user === options.secretKey;
  }

  function createCharge(request: FakeRequest): FakeResponse {
    const body = anyBody(request) ?? {};
    const amount = Number(body.amount);
    if (body.amount === undefined || !Number.isInteger(amount)) return error(400, "invalid_charge", "amount must be an integer");
    const currency = String(body.currency ?? "").toUpperCase();
    const minimum = MINIMUMS[currency];
    if (minimum === undefined) return error(400, "invalid_charge", "currency is currently not supported");
    if (amount < minimum) return error(400, "invalid_charge", "amount must be greater than or equal to the minimum charge amount");
    const token = typeof body.card === "string" ? body.card : undefined;
    if (!token && body.source === undefined && body.customer === undefined) return error(400, "invalid_charge", "card, source or customer is required");
    if (token && !token.startsWith("tokn_test_")) return error(404, "not_found", `token ${token} was not found`);
    const id = oid("chrg");
    const threeDs = token?.startsWith("tokn_test_3ds") ?? false;
    const declined = token?.startsWith("tokn_test_declined") ?? false;
    const charge: Charge = {
      object: "charge",
      id,
      location: `/charges/${id}`,
      livemode: false,
      amount,
      currency,
      description: typeof body.description === "string" ? body.description : null,
      metadata: (body.metadata as Record<string, unknown> | undefined) ?? {},
      status: declined ? "failed" : threeDs ? "pending" : "successful",
      capture: body.capture !== "false" && body.capture !== false,
      authorized: !declined && !threeDs,
      reversed: false,
      paid: !declined && !threeDs,
      transaction: !declined && !threeDs ? oid("trxn") : null,
      refunded_amount: 0,
      refunds: { object: "list", data: [] },
      failure_code: declined ? "insufficient_fund" : null,
      failure_message: declined ? "insufficient funds in the account or the card has reached the credit limit" : null,
      authorize_uri: threeDs ? `${baseUrl}/payments/${oid("paym")}/authorize` : null,
      return_uri: typeof body.return_uri === "string" ? body.return_uri : null,
      card: token ? { object: "card", id: oid("card"), livemode: false, brand: "Visa", last_digits: "4242", name: "Test Guest" } : null,
      created_at: iso(),
    };
    charges.set(id, charge);
    emit(charge, "charge.create");
    return { status: 200, body: charge };
  }

  function refund(request: FakeRequest, charge: Charge): FakeResponse {
    const body = anyBody(request) ?? {};
    const amount = Number(body.amount);
    if (body.amount === undefined || !Number.isInteger(amount) || amount <= 0) return error(400, "invalid_amount", "amount must be an integer greater than 0");
    if (charge.status !== "successful" || !charge.paid) return error(400, "failed_refund", "charge is not refundable");
    if (amount > charge.amount - charge.refunded_amount) return error(400, "invalid_amount", "amount must be less than or equal to the refundable amount");
    charge.refunded_amount += amount;
    const refundId = oid("rfnd");
    const created = {
      object: "refund",
      id: refundId,
      location: `/charges/${charge.id}/refunds/${refundId}`,
      livemode: false,
      voided: false,
      currency: charge.currency,
      amount,
      metadata: {},
      charge: charge.id,
      transaction: oid("trxn"),
      status: "closed",
      funding_amount: amount,
      funding_currency: charge.currency,
      created_at: iso(),
    };
    charge.refunds.data.push(created);
    emit(charge, "refund.create");
    return { status: 200, body: created };
  }

  const server = await startServer((request) => {
    if (!authorized(request)) return error(401, "authentication_failure", "authentication failed");
    const { method, path } = request;
    if (method === "POST" && path === "/charges") return createCharge(request);
    const match = /^\/charges\/([^/]+)(?:\/(refunds|reverse|expire|capture))?$/.exec(path);
    const charge = match?.[1] ? charges.get(match[1]) : undefined;
    if (match?.[1] && !charge) return error(404, "not_found", `charge ${match[1]} was not found`);
    if (charge && method === "GET" && !match?.[2]) return { status: 200, body: charge };
    if (charge && method === "POST" && match?.[2] === "refunds") return refund(request, charge);
    if (charge && method === "POST" && match?.[2] === "reverse") {
      if (charge.capture || !charge.authorized || charge.reversed) return error(400, "failed_reverse", "charge cannot be reversed");
      charge.reversed = true;
      charge.status = "reversed";
      emit(charge, "charge.reverse");
      return { status: 200, body: charge };
    }
    if (charge && method === "POST" && match?.[2] === "expire") {
      if (charge.status !== "pending") return error(400, "failed_expire", "charge cannot be expired");
      charge.status = "expired";
      emit(charge, "charge.expire");
      return { status: 200, body: charge };
    }
    return error(404, "not_found", "the requested resource was not found");
  });
  baseUrl = server.url;

  function mustFind(id: string): Charge {
    const charge = charges.get(id) ?? [...charges.values()].find((item) => item.metadata.order_id === id);
    if (!charge) throw new Error(`omise fake: no charge ${id}`);
    return charge;
  }

  /** The cardholder passed 3-D Secure: pending → successful. */
  function settle(id: string): Charge {
    const charge = mustFind(id);
    charge.status = "successful";
    charge.authorized = true;
    charge.paid = true;
    charge.transaction = oid("trxn");
    emit(charge, "charge.complete");
    return charge;
  }

  function fail(id: string): Charge {
    const charge = mustFind(id);
    charge.status = "failed";
    charge.failure_code = "failed_processing";
    charge.failure_message = "payment could not be processed";
    emit(charge, "charge.complete");
    return charge;
  }

  function expire(id: string): Charge {
    const charge = mustFind(id);
    charge.status = "expired";
    emit(charge, "charge.expire");
    return charge;
  }

  function webhook(id: string, opts: WebhookOptions & { key?: string } = {}): BuiltWebhook {
    const charge = mustFind(id);
    const list = events.get(charge.id) ?? [];
    const event = opts.key ? list.findLast((item) => item.key === opts.key) : list.at(-1);
    if (!event) throw new Error(`omise fake: no event for ${charge.id}`);
    const payload = JSON.stringify(event);
    const timestamp = String(Math.floor(now() / 1000));
    const signature = createHmac("sha256", Buffer.from(options.webhookSecret, "base64")).update(`${timestamp}.${payload}`, "utf8").digest("hex");
    return {
      url: opts.url ?? options.webhookUrl,
      headers: { "content-type": "application/json", "omise-signature": signature, "omise-signature-timestamp": timestamp },
      rawBody: opts.tamper ? tamperWith(payload) : payload,
    };
  }

  async function postWebhook(id: string, opts: WebhookOptions & { key?: string } = {}): Promise<Delivery> {
    return postBuilt(webhook(id, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, charges, find: mustFind, settle, fail, expire, webhook, postWebhook };
}

export type OmiseFake = Awaited<ReturnType<typeof startOmiseFake>>;
