import { randomBytes, randomUUID } from "node:crypto";
import { anyBody, basicUser, jsonBody, postBuilt, startServer, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated Xendit (api.xendit.co): Invoices, QR Codes V1 and Fixed Virtual Accounts.
 *
 * As documented:
 * - Auth: HTTP Basic, secret API key as user name, empty password; errors are
 *   `{ error_code, message }` (INVALID_API_KEY 401, API_VALIDATION_ERROR 400, …)
 *   (https://developers.xendit.co/api-reference/#authentication, #errors).
 * - Invoices: POST /v2/invoices, GET /v2/invoices/{id}, POST /invoices/{id}/expire!; statuses
 *   PENDING, PAID, SETTLED, EXPIRED; callback with id, external_id, status, amount, paid_amount
 *   (xendit-php docs/InvoiceApi.md, docs/Invoice/InvoiceCallback.md).
 * - QR Codes V1: POST /qr_codes (form or JSON: external_id, type, callback_url, amount),
 *   GET /qr_codes/{external_id}, GET /qr_codes/payments?external_id= (a JSON array); QR status
 *   ACTIVE/INACTIVE; test amounts 10100/10101/10102 answer 403 CHANNEL_NOT_ACTIVATED,
 *   503 CHANNEL_UNAVAILABLE, 500 SERVER_ERROR (https://docs.xendit.co/qr-codes/test-scenarios);
 *   payment callback `{ event: "qr.payment", id, amount, created, status: "COMPLETED", qr_code: {…} }`
 *   (xendit-go qrcode.go).
 * - Fixed VA: POST /callback_virtual_accounts, GET /callback_virtual_accounts/{id}; status
 *   PENDING then ACTIVE, INACTIVE once a single-use VA is paid or the VA expires; payment
 *   callback with payment_id, callback_virtual_account_id, external_id, account_number,
 *   bank_code, amount, transaction_timestamp (https://docs.xendit.co/xenpayments/virtual-account/testing/).
 * - Callbacks carry the account's verification token in `x-callback-token`.
 * - Balance: GET /balance?account_type=CASH|HOLDING|TAX → `{ balance }` (docs.xendit.co/apidocs/get-balance),
 *   the read-only call a connection check makes; a missing key is "API key is required", a wrong one
 *   "API key is invalid", both INVALID_API_KEY 401.
 */

type InvoiceStatus = "PENDING" | "PAID" | "SETTLED" | "EXPIRED";

interface Invoice {
  kind: "invoice";
  id: string;
  external_id: string;
  status: InvoiceStatus;
  amount: number;
  currency: string;
  description?: string;
  payer_email?: string;
  expiry_date: string;
  created: string;
  updated: string;
  success_redirect_url?: string;
  failure_redirect_url?: string;
  paid_amount?: number;
  paid_at?: string;
  payment_id?: string;
}

interface QrCode {
  kind: "qr";
  id: string;
  external_id: string;
  amount: number;
  qr_string: string;
  callback_url: string;
  type: "DYNAMIC" | "STATIC";
  status: "ACTIVE" | "INACTIVE";
  created: string;
  updated: string;
  payments: { id: string; amount: number; created: string; status: "COMPLETED" }[];
}

interface VirtualAccount {
  kind: "va";
  id: string;
  owner_id: string;
  external_id: string;
  bank_code: string;
  merchant_code: string;
  name: string;
  account_number: string;
  is_closed: boolean;
  expected_amount?: number;
  is_single_use: boolean;
  expiration_date: string;
  status: "PENDING" | "ACTIVE" | "INACTIVE";
  currency: "IDR";
  payments: { payment_id: string; id: string; amount: number; transaction_timestamp: string }[];
  createdAt: number;
}

type Entity = Invoice | QrCode | VirtualAccount;

const hexId = () => randomBytes(12).toString("hex");
const VA_BANKS = new Set(["BCA", "BNI", "BRI", "MANDIRI", "PERMATA", "BSI", "BJB", "CIMB", "SAHABAT_SAMPOERNA"]);
const MERCHANT_CODES: Record<string, string> = { BCA: "10766", BNI: "8808", BRI: "26215", MANDIRI: "88908", PERMATA: "8214" };

export async function startXenditFake(options: { secretKey: string; callbackToken?: string; callbackUrl?: string; balance?: number; clock?: () => number }) {
  const callbackToken = options.callbackToken ?? `xendit-callback-${randomUUID()}`;
  const now = options.clock ?? (() => Date.now());
  const iso = () => new Date(now()).toISOString();
  const entities = new Map<string, Entity>();
  const qrByExternal = new Map<string, QrCode>();
  const ownerId = hexId();
  let baseUrl = "";

  const error = (status: number, code: string, message: string): FakeResponse => ({ status, body: { error_code: code, message } });

  function authorized(request: FakeRequest): boolean {
    const basic = basicUser(request);
    return basic !== undefined && basic.user === options.secretKey && basic.password === "";
  }

  function invoiceView(invoice: Invoice): Record<string, unknown> {
    const { kind: _kind, ...rest } = invoice;
    return {
      ...rest,
      user_id: ownerId,
      merchant_name: "Sambung Test Hotel",
      merchant_profile_picture_url: "https://xnd-companies.s3.amazonaws.com/prod/1/logo.png",
      invoice_url: `${baseUrl}/web/${invoice.id}`,
      available_banks: [],
      available_retail_outlets: [],
      available_ewallets: [],
      available_qr_codes: [],
      available_direct_debits: [],
      available_paylaters: [],
      should_exclude_credit_card: false,
      should_send_email: false,
    };
  }

  function createInvoice(request: FakeRequest): FakeResponse {
    const body = jsonBody(request);
    if (!body) return error(400, "API_VALIDATION_ERROR", "request body must be JSON");
    if (typeof body.external_id !== "string" || body.external_id === "") return error(400, "API_VALIDATION_ERROR", "\"external_id\" is required");
    if (typeof body.amount !== "number") return error(400, "API_VALIDATION_ERROR", "\"amount\" is required and must be a number");
    const currency = typeof body.currency === "string" ? body.currency : "IDR";
    if (currency === "IDR" && body.amount < 1) return error(400, "API_VALIDATION_ERROR", "\"amount\" must be larger than or equal to 1");
    const duration = body.invoice_duration === undefined ? 86_400 : Number(body.invoice_duration);
    const invoice: Invoice = {
      kind: "invoice",
      id: hexId(),
      external_id: body.external_id,
      status: "PENDING",
      amount: Math.trunc(body.amount),
      currency,
      description: typeof body.description === "string" ? body.description : undefined,
      payer_email: typeof body.payer_email === "string" ? body.payer_email : undefined,
      expiry_date: new Date(now() + duration * 1000).toISOString(),
      created: iso(),
      updated: iso(),
      success_redirect_url: typeof body.success_redirect_url === "string" ? body.success_redirect_url : undefined,
      failure_redirect_url: typeof body.failure_redirect_url === "string" ? body.failure_redirect_url : undefined,
    };
    entities.set(invoice.id, invoice);
    return { status: 200, body: invoiceView(invoice) };
  }

  function qrView(qr: QrCode): Record<string, unknown> {
    const { kind: _kind, payments: _payments, ...rest } = qr;
    return rest;
  }

  function createQr(request: FakeRequest): FakeResponse {
    const body = anyBody(request);
    if (!body) return error(400, "API_VALIDATION_ERROR", "request body is invalid");
    const externalId = body.external_id;
    if (typeof externalId !== "string" || externalId === "") return error(400, "API_VALIDATION_ERROR", "\"external_id\" is required");
    const type = body.type;
    if (type !== "DYNAMIC" && type !== "STATIC") return error(400, "API_VALIDATION_ERROR", "\"type\" must be one of [DYNAMIC, STATIC]");
    if (typeof body.callback_url !== "string" || body.callback_url === "") return error(400, "API_VALIDATION_ERROR", "\"callback_url\" is required");
    const amount = Number(body.amount);
    if (type === "DYNAMIC" && (!Number.isFinite(amount) || amount < 1)) return error(400, "API_VALIDATION_ERROR", "\"amount\" is required for DYNAMIC QR codes");
    if (amount === 10100) return error(403, "CHANNEL_NOT_ACTIVATED", "Payment request failed because this specific payment channel has not been activated through Xendit.");
    if (amount === 10101) return error(503, "CHANNEL_UNAVAILABLE", "The payment channel requested is currently experiencing unexpected issues.");
    if (amount === 10102) return error(500, "SERVER_ERROR", "An unexpected error occured, our team has been notified and will troubleshoot the issue.");
    if (qrByExternal.has(externalId)) return error(409, "DUPLICATE_ERROR", "external_id has already been used");
    const id = `qr_${randomUUID()}`;
    const qr: QrCode = {
      kind: "qr",
      id,
      external_id: externalId,
      amount,
      qr_string: `00020101021226660014ID.LINKAJA.WWW011893600911002411480102152003210411480100303UME51450015ID.OR.GPNQR.WWW0215ID10200210000010303UME5204549953033605405${amount}5802ID6304${id.slice(3, 7).toUpperCase()}`,
      callback_url: body.callback_url,
      type,
      status: "ACTIVE",
      created: iso(),
      updated: iso(),
      payments: [],
    };
    entities.set(id, qr);
    qrByExternal.set(externalId, qr);
    return { status: 200, body: qrView(qr) };
  }

  function qrPayments(qr: QrCode): Record<string, unknown>[] {
    return qr.payments.map((payment) => ({ ...payment, qr_code: { id: qr.id, external_id: qr.external_id, qr_string: qr.qr_string, type: qr.type } }));
  }

  function vaView(va: VirtualAccount): Record<string, unknown> {
    const { kind: _kind, payments: _payments, createdAt, ...rest } = va;
    // A fresh VA is PENDING for a moment, then ACTIVE.
    return { ...rest, status: va.status === "PENDING" && now() - createdAt >= 0 ? "ACTIVE" : va.status };
  }

  function createVa(request: FakeRequest): FakeResponse {
    const body = jsonBody(request);
    if (!body) return error(400, "API_VALIDATION_ERROR", "request body must be JSON");
    if (typeof body.external_id !== "string" || body.external_id === "") return error(400, "API_VALIDATION_ERROR", "\"external_id\" is required");
    if (typeof body.bank_code !== "string") return error(400, "API_VALIDATION_ERROR", "\"bank_code\" is required");
    if (!VA_BANKS.has(body.bank_code)) return error(400, "BANK_NOT_SUPPORTED_ERROR", `bank_code ${body.bank_code} is not supported`);
    if (typeof body.name !== "string" || body.name.trim() === "") return error(400, "API_VALIDATION_ERROR", "\"name\" is required");
    const isClosed = body.is_closed === true;
    if (isClosed && typeof body.expected_amount !== "number") return error(400, "API_VALIDATION_ERROR", "\"expected_amount\" is required when is_closed is true");
    const merchant = MERCHANT_CODES[body.bank_code] ?? "88888";
    const va: VirtualAccount = {
      kind: "va",
      id: hexId(),
      owner_id: ownerId,
      external_id: body.external_id,
      bank_code: body.bank_code,
      merchant_code: merchant,
      name: body.name,
      account_number: `${merchant}9999${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
      is_closed: isClosed,
      expected_amount: typeof body.expected_amount === "number" ? body.expected_amount : undefined,
      is_single_use: body.is_single_use === true,
      expiration_date: typeof body.expiration_date === "string" ? new Date(body.expiration_date).toISOString() : new Date(now() + 31 * 365 * 86_400_000).toISOString(),
      status: "PENDING",
      currency: "IDR",
      payments: [],
      createdAt: now(),
    };
    entities.set(va.id, va);
    const { status: _status, ...created } = vaView(va);
    return { status: 200, body: { ...created, status: "PENDING" } };
  }

  const server = await startServer((request) => {
    if (!basicUser(request)) return error(401, "INVALID_API_KEY", "API key is required");
    if (!authorized(request)) return error(401, "INVALID_API_KEY", "API key is invalid");
    const { method, path } = request;
    if (method === "GET" && path === "/balance") {
      const type = (request.query.get("account_type") ?? "CASH").toUpperCase();
      if (!["CASH", "HOLDING", "TAX"].includes(type)) return error(400, "API_VALIDATION_ERROR", "account_type must be one of [CASH, HOLDING, TAX]");
      return { status: 200, body: { balance: options.balance ?? 1_241_231 } };
    }
    if (method === "POST" && (path === "/v2/invoices" || path === "/v2/invoices/")) return createInvoice(request);
    let match = /^\/v2\/invoices\/([^/]+)$/.exec(path);
    if (method === "GET" && match?.[1]) {
      const invoice = entities.get(match[1]);
      return invoice?.kind === "invoice" ? { status: 200, body: invoiceView(invoice) } : error(404, "INVOICE_NOT_FOUND_ERROR", "Could not find invoice by id");
    }
    match = /^\/invoices\/([^/]+)\/expire!$/.exec(path);
    if (method === "POST" && match?.[1]) {
      const invoice = entities.get(match[1]);
      if (invoice?.kind !== "invoice" || invoice.status !== "PENDING") return error(404, "INVOICE_NOT_FOUND_ERROR", "Could not find invoice by id");
      invoice.status = "EXPIRED";
      invoice.updated = iso();
      return { status: 200, body: invoiceView(invoice) };
    }
    if (method === "POST" && path === "/qr_codes") return createQr(request);
    if (method === "GET" && path === "/qr_codes/payments") {
      const qr = qrByExternal.get(request.query.get("external_id") ?? "");
      return { status: 200, body: qr ? qrPayments(qr) : [] };
    }
    match = /^\/qr_codes\/([^/]+)$/.exec(path);
    if (method === "GET" && match?.[1]) {
      const qr = qrByExternal.get(decodeURIComponent(match[1]));
      return qr ? { status: 200, body: qrView(qr) } : error(404, "QR_CODE_NOT_FOUND", "QR code not found");
    }
    if (method === "POST" && path === "/callback_virtual_accounts") return createVa(request);
    match = /^\/callback_virtual_accounts\/([^/]+)$/.exec(path);
    if (method === "GET" && match?.[1]) {
      const va = entities.get(match[1]);
      return va?.kind === "va" ? { status: 200, body: vaView(va) } : error(404, "CALLBACK_VIRTUAL_ACCOUNT_NOT_FOUND_ERROR", "Callback virtual account not found");
    }
    return error(404, "NOT_FOUND", "The requested resource was not found");
  });
  baseUrl = server.url;

  function mustFind(id: string): Entity {
    const entity = entities.get(id) ?? qrByExternal.get(id) ?? [...entities.values()].find((item) => item.external_id === id);
    if (!entity) throw new Error(`xendit fake: nothing with id ${id}`);
    return entity;
  }

  /** The payer paid in full. */
  function settle(id: string): Entity {
    const entity = mustFind(id);
    if (entity.kind === "invoice") {
      entity.status = "PAID";
      entity.paid_amount = entity.amount;
      entity.paid_at = iso();
      entity.payment_id = hexId();
    } else if (entity.kind === "qr") {
      entity.payments.push({ id: `qrpy_${randomUUID()}`, amount: entity.amount, created: iso(), status: "COMPLETED" });
      if (entity.type === "DYNAMIC") entity.status = "INACTIVE";
    } else {
      entity.payments.push({ payment_id: hexId(), id: hexId(), amount: entity.expected_amount ?? 10_000, transaction_timestamp: iso() });
      if (entity.is_single_use) entity.status = "INACTIVE";
    }
    return entity;
  }

  /** Xendit has no failed state for these objects; a failure is an expiry without payment. */
  function fail(id: string): Entity {
    return expire(id);
  }

  function expire(id: string): Entity {
    const entity = mustFind(id);
    if (entity.kind === "invoice") {
      entity.status = "EXPIRED";
      entity.updated = iso();
    } else if (entity.kind === "qr") {
      entity.status = "INACTIVE";
    } else {
      entity.status = "INACTIVE";
      entity.expiration_date = new Date(now() - 1000).toISOString();
    }
    return entity;
  }

  function webhook(id: string, opts: WebhookOptions = {}): BuiltWebhook {
    const entity = mustFind(id);
    let body: Record<string, unknown>;
    let url = opts.url ?? options.callbackUrl;
    if (entity.kind === "invoice") {
      body = {
        id: entity.id,
        external_id: entity.external_id,
        user_id: ownerId,
        is_high: false,
        status: entity.status,
        merchant_name: "Sambung Test Hotel",
        amount: entity.amount,
        payer_email: entity.payer_email,
        description: entity.description,
        created: entity.created,
        updated: iso(),
        currency: entity.currency,
        ...(entity.status === "PAID"
          ? { paid_amount: entity.paid_amount, paid_at: entity.paid_at, payment_method: "BANK_TRANSFER", bank_code: "BCA", payment_channel: "BCA", payment_destination: "880899999990000", payment_id: entity.payment_id }
          : {}),
      };
    } else if (entity.kind === "qr") {
      const payment = entity.payments.at(-1);
      if (!payment) throw new Error("xendit fake: a QR callback is sent for a payment; settle() first");
      body = { event: "qr.payment", ...qrPayments(entity).at(-1) };
      url = opts.url ?? entity.callback_url;
    } else {
      const payment = entity.payments.at(-1);
      if (!payment) throw new Error("xendit fake: a VA callback is sent for a payment; settle() first");
      body = {
        id: payment.id,
        payment_id: payment.payment_id,
        callback_virtual_account_id: entity.id,
        owner_id: ownerId,
        external_id: entity.external_id,
        account_number: entity.account_number,
        bank_code: entity.bank_code,
        amount: payment.amount,
        transaction_timestamp: payment.transaction_timestamp,
        merchant_code: entity.merchant_code,
        currency: "IDR",
        created: payment.transaction_timestamp,
        updated: payment.transaction_timestamp,
      };
    }
    // Xendit signs nothing: a tampered callback is one without the account's token.
    const token = opts.tamper ? `${callbackToken}x` : callbackToken;
    return { url, headers: { "content-type": "application/json", "x-callback-token": token }, rawBody: JSON.stringify(body) };
  }

  async function postWebhook(id: string, opts: WebhookOptions = {}): Promise<Delivery> {
    return postBuilt(webhook(id, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, find: mustFind, settle, fail, expire, webhook, postWebhook };
}

export type XenditFake = Awaited<ReturnType<typeof startXenditFake>>;
