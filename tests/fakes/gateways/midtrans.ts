import { createHash, randomUUID } from "node:crypto";
import { basicUser, header, jsonBody, postBuilt, startServer, wib, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated Midtrans: Snap (POST /snap/v1/transactions) and Core API (POST /v2/charge,
 * GET /v2/{order_id|transaction_id}/status, POST …/cancel, …/expire, …/refund), one
 * server for both hosts.
 *
 * As documented:
 * - Auth: HTTP Basic, server key as user name, empty password
 *   (https://docs.midtrans.com/docs/snap-snap-integration-guide).
 * - Snap errors are HTTP 4xx with `error_messages`; Core API answers carry
 *   `status_code` / `status_message` in the body, errors included (the official
 *   midtrans-nodejs-client rejects 2xx answers whose body status_code is >= 400 except 407).
 * - Duplicate order_id: 406 "order_id has been paid and utilized, please use another order ID"
 *   (https://docs.midtrans.com/docs/error-code-and-response-code).
 * - Charge answers: QRIS with `qr_string` and the generate-qr-code action; bank transfer with
 *   `va_numbers[{bank, va_number}]` (Permata: `permata_va_number`); GoPay with the
 *   deeplink-redirect action.
 * - Cancel while pending; refund only after settlement and only for refundable payment
 *   types, answering `refund_chargeback_id`, `refund_amount`, `refund_key`
 *   (https://docs.midtrans.com/reference/refund-transaction).
 * - HTTP notification: POST JSON to X-Override-Notification (or the dashboard URL) with
 *   `signature_key` = hex SHA-512(order_id + status_code + gross_amount + server key)
 *   (https://docs.midtrans.com/reference/handle-notifications).
 */

export interface MidtransTransaction {
  orderId: string;
  transactionId?: string;
  grossAmount: number;
  paymentType?: string;
  status: "pending" | "settlement" | "deny" | "expire" | "cancel" | "refund" | "partial_refund";
  snapToken?: string;
  notificationUrl?: string;
  bank?: string;
  vaNumber?: string;
  refunded: number;
  refunds: { refund_chargeback_id: number; refund_amount: string; refund_key: string; reason?: string; created_at: string }[];
  transactionTime: number;
  settlementTime?: number;
  fraudStatus: string;
}

const STATUS_CODE: Record<MidtransTransaction["status"], string> = {
  pending: "201",
  settlement: "200",
  deny: "202",
  expire: "407",
  cancel: "200",
  refund: "200",
  partial_refund: "200",
};

const REFUNDABLE = new Set(["credit_card", "gopay", "shopeepay", "qris", "dana", "ovo", "kredivo", "akulaku"]);
const BANKS = new Set(["bca", "bni", "bri", "permata", "cimb"]);

const decimal = (amount: number) => `${amount}.00`;

export async function startMidtransFake(options: { serverKey: string; notificationUrl?: string; clock?: () => number }) {
  const now = options.clock ?? (() => Date.now());
  const byOrder = new Map<string, MidtransTransaction>();
  const byTransaction = new Map<string, MidtransTransaction>();
  let chargebacks = 0;
  let baseUrl = "";

  const find = (id: string) => byTransaction.get(id) ?? byOrder.get(id);

  function authorized(request: FakeRequest): boolean {
    const basic = basicUser(request);
    return basic !== undefined && basic.user === options.serverKey && basic.password === "";
  }

  /**
   * Core API answers carry their status in the body. Like the v2 API, business errors
   * (400 validation, 406 duplicate order, 412 state) come with HTTP 200 and the error in
   * `status_code`; 401 and 404 also set the HTTP status. The official client checks both.
   */
  function core(statusCode: string, body: Record<string, unknown>): FakeResponse {
    const http = statusCode === "401" || statusCode === "404" ? Number(statusCode) : 200;
    return { status: http, body: { status_code: statusCode, ...body } };
  }

  function coreError(statusCode: string, message: string, extra: Record<string, unknown> = {}): FakeResponse {
    return core(statusCode, { status_message: message, id: randomUUID(), ...extra });
  }

  function view(tx: MidtransTransaction): Record<string, unknown> {
    const out: Record<string, unknown> = {
      transaction_time: wib(tx.transactionTime),
      gross_amount: decimal(tx.grossAmount),
      currency: "IDR",
      order_id: tx.orderId,
      payment_type: tx.paymentType,
      status_code: STATUS_CODE[tx.status],
      transaction_id: tx.transactionId,
      transaction_status: tx.status,
      fraud_status: tx.fraudStatus,
      merchant_id: "G000000000",
    };
    if (tx.settlementTime) out.settlement_time = wib(tx.settlementTime);
    if (tx.vaNumber && tx.bank === "permata") out.permata_va_number = tx.vaNumber;
    else if (tx.vaNumber) out.va_numbers = [{ bank: tx.bank, va_number: tx.vaNumber }];
    if (tx.refunds.length > 0) {
      out.refund_amount = decimal(tx.refunded);
      out.refunds = tx.refunds;
    }
    return out;
  }

  function signature(tx: MidtransTransaction, statusCode: string, grossAmount: string): string {
    return createHash("sha512").update(`${tx.orderId}${statusCode}${grossAmount}${options.serverKey}`, "utf8").digest("hex");
  }

  function validDetails(body: Record<string, unknown> | undefined): { orderId: string; grossAmount: number } | string {
    const details = body?.transaction_details as Record<string, unknown> | undefined;
    if (!details || typeof details !== "object") return "transaction_details is required";
    const orderId = details.order_id;
    if (typeof orderId !== "string" || orderId.trim() === "") return "transaction_details.order_id is required";
    if (orderId.length > 50 || !/^[A-Za-z0-9\-_.~]+$/.test(orderId)) return "transaction_details.order_id is invalid";
    const gross = details.gross_amount;
    if (gross === undefined || gross === null || gross === "") return "transaction_details.gross_amount is required";
    const amount = Number(gross);
    if (!Number.isFinite(amount) || amount < 0.01) return "transaction_details.gross_amount must be greater than or equal to 0.01";
    return { orderId, grossAmount: amount };
  }

  function snap(request: FakeRequest): FakeResponse {
    if (!authorized(request)) {
      return { status: 401, body: { error_messages: ["Access denied due to unauthorized transaction, please check client or server key", "Visit https://snap-docs.midtrans.com/#request-headers for more details"] } };
    }
    const details = validDetails(jsonBody(request));
    if (typeof details === "string") return { status: 400, body: { error_messages: [details] } };
    if (byOrder.has(details.orderId)) return { status: 400, body: { error_messages: ["transaction_details.order_id sudah digunakan"] } };
    const token = randomUUID();
    const tx: MidtransTransaction = {
      orderId: details.orderId,
      grossAmount: details.grossAmount,
      status: "pending",
      snapToken: token,
      notificationUrl: header(request, "x-override-notification") ?? options.notificationUrl,
      refunded: 0,
      refunds: [],
      transactionTime: now(),
      fraudStatus: "accept",
    };
    byOrder.set(tx.orderId, tx);
    return { status: 201, body: { token, redirect_url: `${baseUrl}/snap/v4/redirection/${token}` } };
  }

  function charge(request: FakeRequest): FakeResponse {
    if (!authorized(request)) return coreError("401", "Transaction cannot be authorized with the current client/server key.");
    const body = jsonBody(request);
    const paymentType = body?.payment_type;
    if (typeof paymentType !== "string" || !["qris", "bank_transfer", "gopay"].includes(paymentType)) {
      return coreError("400", "One or more parameters in the payload is invalid.", { validation_messages: ["payment_type is not supported"] });
    }
    const details = validDetails(body);
    if (typeof details === "string") return coreError("400", "One or more parameters in the payload is invalid.", { validation_messages: [details] });
    if (byOrder.has(details.orderId)) return coreError("406", "order_id has been paid and utilized, please use another order ID");
    const tx: MidtransTransaction = {
      orderId: details.orderId,
      transactionId: randomUUID(),
      grossAmount: details.grossAmount,
      paymentType,
      status: "pending",
      notificationUrl: header(request, "x-override-notification") ?? options.notificationUrl,
      refunded: 0,
      refunds: [],
      transactionTime: now(),
      fraudStatus: "accept",
    };
    if (paymentType === "bank_transfer") {
      const bank = String((body?.bank_transfer as Record<string, unknown> | undefined)?.bank ?? "");
      if (!BANKS.has(bank)) return coreError("400", "One or more parameters in the payload is invalid.", { validation_messages: ["bank_transfer.bank is not supported"] });
      tx.bank = bank;
      tx.vaNumber = `${String(Math.floor(Math.random() * 1e9)).padStart(9, "0")}${String(byOrder.size).padStart(5, "0")}`;
    }
    byOrder.set(tx.orderId, tx);
    byTransaction.set(tx.transactionId ?? "", tx);
    const common = { ...view(tx), expiry_time: wib(now() + 24 * 3_600_000) };
    if (paymentType === "qris") {
      const acquirer = String((body?.qris as Record<string, unknown> | undefined)?.acquirer ?? "gopay");
      return core("201", {
        ...common,
        status_message: "QRIS transaction is created",
        actions: [{ name: "generate-qr-code", method: "GET", url: `${baseUrl}/v2/qris/${tx.transactionId}/qr-code` }],
        qr_string: `00020101021226620014COM.GO-JEK.WWW011893600914${tx.transactionId?.replace(/-/g, "").slice(0, 20)}5204581253033605405${tx.grossAmount}5802ID6304ABCD`,
        acquirer,
      });
    }
    if (paymentType === "gopay") {
      return core("201", {
        ...view(tx),
        status_message: "GoPay transaction is created",
        actions: [
          { name: "generate-qr-code", method: "GET", url: `${baseUrl}/v2/gopay/${tx.transactionId}/qr-code` },
          { name: "deeplink-redirect", method: "GET", url: `https://simulator.sandbox.midtrans.com/gopay/partner/app/payment-pin?id=${tx.transactionId}` },
          { name: "get-status", method: "GET", url: `${baseUrl}/v2/${tx.transactionId}/status` },
          { name: "cancel", method: "POST", url: `${baseUrl}/v2/${tx.transactionId}/cancel` },
        ],
      });
    }
    return core("201", { ...common, status_message: "Success, Bank Transfer transaction is created" });
  }

  function statusOf(request: FakeRequest, id: string): FakeResponse {
    // The Get Status API names the refused key this way (docs.midtrans.com/docs/get-status-api-requests).
    if (!authorized(request)) return coreError("401", "Unknown Merchant server_key/id");
    const tx = find(id);
    if (!tx || !tx.paymentType) return { status: 404, body: { status_code: "404", status_message: "Transaction doesn't exist.", id: randomUUID() } };
    const body = view(tx);
    return core(String(body.status_code), { ...body, status_message: "Success, transaction is found", signature_key: signature(tx, String(body.status_code), decimal(tx.grossAmount)) });
  }

  function cancel(request: FakeRequest, id: string, expire: boolean): FakeResponse {
    if (!authorized(request)) return coreError("401", "Transaction cannot be authorized with the current client/server key.");
    const tx = find(id);
    if (!tx || (!tx.paymentType && !expire)) return coreError("404", "Transaction doesn't exist.");
    if (tx.status !== "pending") return coreError("412", "Merchant cannot modify the status of the transaction");
    tx.status = expire ? "expire" : "cancel";
    return core(expire ? "407" : "200", { ...view(tx), status_message: expire ? "Success, transaction has expired" : "Success, transaction is canceled" });
  }

  function refund(request: FakeRequest, id: string): FakeResponse {
    if (!authorized(request)) return coreError("401", "Transaction cannot be authorized with the current client/server key.");
    const tx = find(id);
    if (!tx || !tx.paymentType) return coreError("404", "Transaction doesn't exist.");
    const body = jsonBody(request) ?? {};
    const key = typeof body.refund_key === "string" ? body.refund_key : randomUUID();
    const previous = tx.refunds.find((entry) => entry.refund_key === key);
    if (previous) {
      return core("200", { ...view(tx), status_message: "Success, refund request is approved", refund_chargeback_id: previous.refund_chargeback_id, refund_amount: previous.refund_amount, refund_key: key });
    }
    if (!REFUNDABLE.has(tx.paymentType)) return coreError("412", "Merchant cannot modify the status of the transaction");
    if (tx.status !== "settlement" && tx.status !== "partial_refund") return coreError("412", "Merchant cannot modify the status of the transaction");
    const amount = body.amount === undefined ? tx.grossAmount - tx.refunded : Number(body.amount);
    if (!Number.isFinite(amount) || amount <= 0 || amount > tx.grossAmount - tx.refunded) {
      return coreError("412", "Refund amount must be less than or equal to the remaining amount");
    }
    tx.refunded += amount;
    tx.status = tx.refunded >= tx.grossAmount ? "refund" : "partial_refund";
    chargebacks += 1;
    const entry = { refund_chargeback_id: chargebacks, refund_amount: decimal(amount), refund_key: key, reason: typeof body.reason === "string" ? body.reason : undefined, created_at: wib(now()) };
    tx.refunds.push(entry);
    return core("200", { ...view(tx), status_message: "Success, refund request is approved", refund_chargeback_id: entry.refund_chargeback_id, refund_amount: entry.refund_amount, refund_key: key });
  }

  const server = await startServer((request) => {
    const { method, path } = request;
    if (method === "POST" && path === "/snap/v1/transactions") return snap(request);
    if (method === "POST" && path === "/v2/charge") return charge(request);
    const match = /^\/v2\/([^/]+)\/(status|cancel|expire|refund)$/.exec(path);
    if (match?.[1] && match[2]) {
      const id = decodeURIComponent(match[1]);
      if (method === "GET" && match[2] === "status") return statusOf(request, id);
      if (method === "POST" && match[2] === "cancel") return cancel(request, id, false);
      if (method === "POST" && match[2] === "expire") return cancel(request, id, true);
      if (method === "POST" && match[2] === "refund") return refund(request, id);
    }
    return { status: 404, body: { status_code: "404", status_message: "The requested resource is not found" } };
  });
  baseUrl = server.url;

  function mustFind(id: string): MidtransTransaction {
    const tx = find(id);
    if (!tx) throw new Error(`midtrans fake: no transaction ${id}`);
    return tx;
  }

  /** The customer paid: pending → settlement (a Snap payment becomes a QRIS one). */
  function settle(id: string): MidtransTransaction {
    const tx = mustFind(id);
    if (!tx.paymentType) {
      tx.paymentType = "qris";
      tx.transactionId = randomUUID();
      byTransaction.set(tx.transactionId, tx);
    }
    tx.status = "settlement";
    tx.settlementTime = now();
    return tx;
  }

  function fail(id: string): MidtransTransaction {
    const tx = mustFind(id);
    tx.paymentType ??= "credit_card";
    tx.transactionId ??= randomUUID();
    byTransaction.set(tx.transactionId, tx);
    tx.status = "deny";
    return tx;
  }

  function expire(id: string): MidtransTransaction {
    const tx = mustFind(id);
    tx.status = "expire";
    return tx;
  }

  /** The notification Midtrans would post now for this transaction. */
  function webhook(id: string, opts: WebhookOptions = {}): BuiltWebhook {
    const tx = mustFind(id);
    const body = view(tx);
    const statusCode = String(body.status_code);
    const gross = decimal(tx.grossAmount);
    const payload: Record<string, unknown> = { ...body, status_message: "midtrans payment notification", signature_key: signature(tx, statusCode, gross) };
    // Tampering changes a signed field (the amount): Midtrans signs only order_id, status_code and gross_amount.
    if (opts.tamper) payload.gross_amount = decimal(tx.grossAmount + 1);
    return { url: opts.url ?? tx.notificationUrl, headers: { "content-type": "application/json", accept: "application/json" }, rawBody: JSON.stringify(payload) };
  }

  async function postWebhook(id: string, opts: WebhookOptions = {}): Promise<Delivery> {
    return postBuilt(webhook(id, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, transactions: byOrder, find, settle, fail, expire, webhook, postWebhook };
}

export type MidtransFake = Awaited<ReturnType<typeof startMidtransFake>>;
