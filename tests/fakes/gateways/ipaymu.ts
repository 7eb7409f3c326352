import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { header, jsonBody, postBuilt, startServer, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated iPaymu API v2 (my.ipaymu.com / sandbox.ipaymu.com), from the official docs
 * repository https://github.com/ipaymu/docs-ipaymu-api-v2 (content/docs/…):
 * - signature.en.mdx: headers `va`, `signature`, `timestamp`; signature = hex
 *   HMAC-SHA256(API key, METHOD + ":" + VA + ":" + lowercase hex SHA-256(JSON body) + ":" + API key).
 * - payment/redirect-payment.en.mdx: POST /api/v2/payment with product[], qty[], price[],
 *   description[], returnUrl, notifyUrl, cancelUrl, referenceId, buyer*, expired (hours) →
 *   `{ Status: 200, Message: "success", Data: { SessionID, Url } }`.
 * - transaction/check-transaction.en.mdx: POST /api/v2/transaction `{ transactionId }` (the
 *   iPaymu trx_id) → `Data { TransactionId, SessionId, ReferenceId, Amount, Status, StatusDesc, … }`;
 *   Status 0 pending, 1 success, 2 cancelled, 3 refund, 4 error, 5 failed, 6 success-unsettled,
 *   7 escrow, -2 expired.
 * - callback.en.mdx: the callback is form-encoded by default (JSON if chosen in the dashboard),
 *   with trx_id, sid, reference_id, status, status_code, … and `X-Signature` = hex
 *   HMAC-SHA256(merchant VA, JSON of the type-normalised body with keys sorted A–Z and "/"
 *   escaped as "\/"), plus `X-Timestamp` and `X-External-ID`.
 *
 * Answers always carry `Status` and `Message` in the body; errors as `{ Status, Success: false, Message, Data: null }`.
 */

interface Transaction {
  trxId: number;
  sessionId: string;
  referenceId?: string;
  amount: number;
  fee: number;
  status: number;
  notifyUrl: string;
  buyer: { name?: string; email?: string; phone?: string };
  product: string;
  quantity: number;
  createdAt: number;
  paidAt?: number;
  expiredHours: number;
}

const STATUS_DESC: Record<string, string> = { "0": "Pending", "1": "Berhasil", "2": "Batal", "3": "Refund", "4": "Error", "5": "Gagal", "6": "Berhasil (Unsettled)", "7": "Escrow", "-2": "Expired" };
const STATUS_WORD: Record<string, string> = { "0": "pending", "1": "berhasil", "-2": "expired", "5": "gagal" };

const wibTime = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");

export async function startIpaymuFake(options: { va: string; apiKey: string; callbackFormat?: "form" | "json"; clock?: () => number }) {
  const now = options.clock ?? (() => Date.now());
  const bySession = new Map<string, Transaction>();
  const byTrx = new Map<number, Transaction>();
  let nextTrx = 100_000;
  let baseUrl = "";

  const answer = (httpStatus: number, message: string, data: unknown = null): FakeResponse => ({
    status: httpStatus,
    body: { Status: httpStatus, Success: httpStatus < 300, Message: message, Data: data },
  });

  function checkSignature(request: FakeRequest): FakeResponse | undefined {
    const va = header(request, "va");
    const signature = header(request, "signature");
    if (!va || !signature || !header(request, "timestamp")) return answer(401, "unauthorized: va, signature and timestamp headers are required");
    if (va !== options.va) return answer(401, "unauthorized: unknown va");
    const bodyHash = createHash("sha256").update(request.rawBody, "utf8").digest("hex").toLowerCase();
    const expected = createHmac("sha256", options.apiKey).update(`${request.method.toUpperCase()}:${va}:${bodyHash}:${options.apiKey}`, "utf8").digest("hex");
    const a = Buffer.from(expected);
    const b = Buffer.from(signature);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return answer(401, "unauthorized signature");
    return undefined;
  }

  function list(value: unknown): string[] | undefined {
    return Array.isArray(value) && value.length > 0 ? value.map((item) => String(item)) : undefined;
  }

  function createPayment(request: FakeRequest): FakeResponse {
    const body = jsonBody(request);
    if (!body) return answer(400, "request body must be JSON");
    const product = list(body.product);
    const qty = list(body.qty);
    const price = list(body.price);
    if (!product || !qty || !price) return answer(400, "product, qty and price are required");
    if (product.length !== qty.length || product.length !== price.length) return answer(400, "product, qty and price must have the same length");
    for (const field of ["returnUrl", "notifyUrl", "cancelUrl"]) {
      if (typeof body[field] !== "string" || body[field] === "") return answer(400, `${field} is required`);
    }
    const amount = price.reduce((sum, value, index) => sum + Number(value) * Number(qty[index]), 0);
    if (!Number.isFinite(amount) || amount <= 0) return answer(400, "price must be numeric");
    const transaction: Transaction = {
      trxId: (nextTrx += 1),
      sessionId: randomUUID().toUpperCase(),
      referenceId: typeof body.referenceId === "string" ? body.referenceId : undefined,
      amount,
      fee: 0,
      status: 0,
      notifyUrl: String(body.notifyUrl),
      buyer: { name: body.buyerName as string | undefined, email: body.buyerEmail as string | undefined, phone: body.buyerPhone as string | undefined },
      product: product.join(", "),
      quantity: qty.reduce((sum, value) => sum + Number(value), 0),
      createdAt: now(),
      expiredHours: body.expired === undefined ? 24 : Number(body.expired),
    };
    bySession.set(transaction.sessionId, transaction);
    byTrx.set(transaction.trxId, transaction);
    return answer(200, "success", { SessionID: transaction.sessionId, Url: `${baseUrl}/payment/${transaction.sessionId}` });
  }

  function checkTransaction(request: FakeRequest): FakeResponse {
    const body = jsonBody(request);
    const transaction = byTrx.get(Number(body?.transactionId));
    if (!transaction) return answer(404, "transaction not found");
    return answer(200, "success", {
      TransactionId: transaction.trxId,
      SessionId: transaction.sessionId,
      ReferenceId: transaction.referenceId ?? null,
      RelatedId: 0,
      Sender: transaction.buyer.name ?? "System",
      Receiver: "Sambung Test Hotel",
      Amount: transaction.amount,
      Fee: transaction.fee,
      Status: transaction.status,
      StatusDesc: STATUS_DESC[String(transaction.status)],
      PaidStatus: transaction.status === 1 || transaction.status === 6 ? "paid" : "unpaid",
      IsLocked: false,
      Type: 7,
      TypeDesc: "VA & Transfer Bank",
      Notes: null,
      CreatedDate: wibTime(transaction.createdAt),
      SuccessDate: transaction.paidAt ? wibTime(transaction.paidAt) : null,
      ExpiredDate: wibTime(transaction.createdAt + transaction.expiredHours * 3_600_000),
      SettlementDate: null,
    });
  }

  const server = await startServer((request) => {
    const denied = checkSignature(request);
    if (denied) return denied;
    if (request.method === "POST" && request.path === "/api/v2/payment") return createPayment(request);
    if (request.method === "POST" && request.path === "/api/v2/transaction") return checkTransaction(request);
    return answer(404, "not found");
  });
  baseUrl = server.url;

  function mustFind(id: string): Transaction {
    const transaction = bySession.get(id) ?? byTrx.get(Number(id)) ?? [...bySession.values()].find((item) => item.referenceId === id);
    if (!transaction) throw new Error(`ipaymu fake: no transaction ${id}`);
    return transaction;
  }

  function settle(id: string): Transaction {
    const transaction = mustFind(id);
    transaction.status = 1;
    transaction.paidAt = now();
    return transaction;
  }

  function fail(id: string): Transaction {
    const transaction = mustFind(id);
    transaction.status = 5;
    return transaction;
  }

  function expire(id: string): Transaction {
    const transaction = mustFind(id);
    transaction.status = -2;
    return transaction;
  }

  /** The callback body with the types iPaymu signs (callback.en.mdx "Callback Data Structure"). */
  function typedBody(transaction: Transaction): Record<string, unknown> {
    const code = String(transaction.status);
    return {
      trx_id: transaction.trxId,
      sid: transaction.sessionId,
      reference_id: transaction.referenceId ?? "",
      status: STATUS_WORD[code] ?? "pending",
      status_code: transaction.status,
      status_desc: STATUS_DESC[code] ?? "Pending",
      transaction_status_code: transaction.status,
      sub_total: String(transaction.amount),
      total: String(transaction.amount),
      amount: String(transaction.amount),
      fee: String(transaction.fee),
      paid_off: transaction.amount - transaction.fee,
      created_at: wibTime(transaction.createdAt),
      expired_at: wibTime(transaction.createdAt + transaction.expiredHours * 3_600_000),
      paid_at: transaction.paidAt ? wibTime(transaction.paidAt) : "",
      settlement_status: "unsettle",
      via: "va",
      channel: "bca",
      payment_no: "1234567890",
      va: "1234567890",
      buyer_name: transaction.buyer.name ?? "",
      buyer_email: transaction.buyer.email ?? "",
      buyer_phone: transaction.buyer.phone ?? "",
      product: transaction.product,
      quantity: String(transaction.quantity),
      merchant: options.va,
      merchant_name: "Sambung Test Hotel",
      system_notes: "",
      url: transaction.notifyUrl,
      additional_info: [],
      is_escrow: false,
      is_sandbox: "true",
    };
  }

  function signatureOf(body: Record<string, unknown>): string {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(body).sort((a, b) => a.localeCompare(b))) sorted[key] = body[key];
    const json = JSON.stringify(sorted).replace(/\//g, "\\/");
    return createHmac("sha256", options.va).update(json, "utf8").digest("hex");
  }

  /** What iPaymu posts to the notifyUrl: form-encoded strings (or JSON), signed over the typed body. */
  function webhook(id: string, opts: WebhookOptions = {}): BuiltWebhook {
    const transaction = mustFind(id);
    const typed = typedBody(transaction);
    const signature = signatureOf(typed);
    const sent = opts.tamper ? { ...typed, amount: String(transaction.amount + 1) } : typed;
    const headers: Record<string, string> = {
      accept: "application/json",
      "x-signature": signature,
      "x-timestamp": new Date(now() + 7 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+07:00"),
      "x-external-id": String(now()),
    };
    if (options.callbackFormat === "json") {
      return { url: opts.url ?? transaction.notifyUrl, headers: { ...headers, "content-type": "application/json" }, rawBody: JSON.stringify(sent) };
    }
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(sent)) form.set(key, Array.isArray(value) ? JSON.stringify(value) : typeof value === "boolean" ? (value ? "1" : "0") : String(value));
    return { url: opts.url ?? transaction.notifyUrl, headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, rawBody: form.toString() };
  }

  async function postWebhook(id: string, opts: WebhookOptions = {}): Promise<Delivery> {
    return postBuilt(webhook(id, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, find: mustFind, settle, fail, expire, webhook, postWebhook, signatureOf };
}

export type IpaymuFake = Awaited<ReturnType<typeof startIpaymuFake>>;
