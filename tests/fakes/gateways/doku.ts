import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { header, jsonBody, postBuilt, startServer, tamperWith, type BuiltWebhook, type Delivery, type FakeRequest, type FakeResponse, type WebhookOptions } from "./server.ts";

/**
 * Simulated DOKU Checkout (non-SNAP; api.doku.com / api-sandbox.doku.com).
 *
 * As documented (https://developers.doku.com/accept-payments/doku-checkout/integration-guide/backend-integration,
 * https://developers.doku.com/get-started-with-doku-api/signature-component/non-snap,
 * https://developers.doku.com/getting-started-with-doku-api/check-status-api/non-snap):
 * - Every request carries Client-Id, Request-Id, Request-Timestamp (UTC ISO-8601, seconds) and
 *   Signature = "HMACSHA256=" + base64(HMAC-SHA256(secret key, component)), the component being
 *   the lines Client-Id, Request-Id, Request-Timestamp, Request-Target (the request path) and,
 *   when there is a body, Digest (base64 SHA-256 of the body), joined by "\n".
 * - POST /checkout/v1/payment with order.amount, order.invoice_number, payment.payment_due_date
 *   (minutes) answers `{ message: ["SUCCESS"], response: { order, payment: { url, token_id,
 *   expired_date, … } } }`; the Request-Id protects against duplicate requests.
 * - GET /orders/v1/status/{invoice_number}: `transaction.status` PENDING / SUCCESS / FAILED /
 *   EXPIRED …; before a payment, `order.status` ORDER_GENERATED (2025 changelog).
 * - The HTTP notification is signed the same way, Request-Target being the notification path.
 *
 * Error bodies are `{ error: { code, message, type } }`.
 */

interface Order {
  invoiceNumber: string;
  amount: number;
  dueMinutes: number;
  tokenId: string;
  sessionId: string;
  createdAt: number;
  callbackUrl?: string;
  status: "ORDER_GENERATED" | "PENDING" | "SUCCESS" | "FAILED" | "EXPIRED";
  requestId: string;
  paidAt?: number;
  hasTransaction: boolean;
}

export async function startDokuFake(options: { clientId: string; secretKey: string; notificationUrl?: string; clock?: () => number }) {
  const now = options.clock ?? (() => Date.now());
  const orders = new Map<string, Order>();
  const seenRequests = new Map<string, FakeResponse>();
  let baseUrl = "";

  const error = (status: number, code: string, message: string): FakeResponse => ({ status, body: { error: { code, message, type: "invalid_request_error" } } });

  function sign(values: { clientId: string; requestId: string; timestamp: string; target: string; body?: string }): string {
    const lines = [`Client-Id:${values.clientId}`, `Request-Id:${values.requestId}`, `Request-Timestamp:${values.timestamp}`, `Request-Target:${values.target}`];
    if (values.body) lines.push(`Digest:${createHash("sha256").update(values.body, "utf8").digest("base64")}`);
    return `HMACSHA256=${createHmac("sha256", options.secretKey).update(lines.join("\n"), "utf8").digest("base64")}`;
  }

  function checkSignature(request: FakeRequest): FakeResponse | undefined {
    const clientId = header(request, "client-id");
    const requestId = header(request, "request-id");
    const timestamp = header(request, "request-timestamp");
    const signature = header(request, "signature");
    if (!clientId || !requestId || !timestamp || !signature) return error(400, "invalid_header", "Client-Id, Request-Id, Request-Timestamp and Signature headers are required");
    if (clientId !== options.clientId) return error(400, "invalid_client_id", "Invalid Client-Id");
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(timestamp)) return error(400, "invalid_timestamp", "Request-Timestamp must be ISO-8601 UTC, like 2020-08-11T08:45:42Z");
    const expected = sign({ clientId, requestId, timestamp, target: request.path, body: request.rawBody || undefined });
    const a = Buffer.from(expected);
    const b = Buffer.from(signature);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return error(400, "invalid_signature", "Invalid Header Signature");
    return undefined;
  }

  function createPayment(request: FakeRequest): FakeResponse {
    const body = jsonBody(request);
    const order = body?.order as Record<string, unknown> | undefined;
    if (!order) return error(400, "invalid_parameter", "order is required");
    if (typeof order.amount !== "number" || !Number.isInteger(order.amount) || order.amount <= 0) return error(400, "invalid_parameter", "order.amount is required and must be a whole number of IDR");
    if (typeof order.invoice_number !== "string" || order.invoice_number === "" || order.invoice_number.length > 64) return error(400, "invalid_parameter", "order.invoice_number is required (max 64 characters)");
    if (order.currency !== undefined && order.currency !== "IDR") return error(400, "invalid_parameter", "order.currency must be IDR");
    if (orders.has(order.invoice_number)) return error(400, "invalid_parameter", "order.invoice_number has already been used");
    const payment = body?.payment as Record<string, unknown> | undefined;
    const due = payment?.payment_due_date === undefined ? 60 : Number(payment.payment_due_date);
    const created: Order = {
      invoiceNumber: order.invoice_number,
      amount: order.amount,
      dueMinutes: due,
      tokenId: randomUUID().replace(/-/g, ""),
      sessionId: randomUUID().replace(/-/g, "").slice(0, 32),
      createdAt: now(),
      callbackUrl: typeof order.callback_url === "string" ? order.callback_url : undefined,
      status: "ORDER_GENERATED",
      requestId: header(request, "request-id") ?? "",
      hasTransaction: false,
    };
    orders.set(created.invoiceNumber, created);
    const expired = new Date(created.createdAt + due * 60_000 + 7 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "").replace(/[-:T]/g, "");
    return {
      status: 200,
      body: {
        message: ["SUCCESS"],
        response: {
          order: { amount: String(created.amount), invoice_number: created.invoiceNumber, currency: "IDR", session_id: created.sessionId, callback_url: created.callbackUrl, line_items: [] },
          payment: { payment_method_types: [], payment_due_date: due, token_id: created.tokenId, url: `${baseUrl}/checkout-link-v2/${created.tokenId}`, expired_date: expired },
          uuid: Number(String(now()).slice(-12)),
          headers: { request_id: created.requestId, signature: header(request, "signature"), date: header(request, "request-timestamp"), client_id: options.clientId },
        },
      },
    };
  }

  function statusOf(invoiceNumber: string): FakeResponse {
    const order = orders.get(invoiceNumber);
    if (!order) return error(404, "invoice_not_found", `No transaction with invoice number ${invoiceNumber}`);
    if (!order.hasTransaction) {
      // No payment attempt yet: only the order status (ORDER_GENERATED, ORDER_EXPIRED).
      const status = order.status === "EXPIRED" ? "ORDER_EXPIRED" : "ORDER_GENERATED";
      return { status: 200, body: { order: { invoice_number: order.invoiceNumber, amount: order.amount, status } } };
    }
    return {
      status: 200,
      body: {
        order: { invoice_number: order.invoiceNumber, amount: order.amount },
        transaction: { status: order.status, date: new Date(order.paidAt ?? now()).toISOString().replace(/\.\d{3}Z$/, "Z"), original_request_id: order.requestId },
        service: { id: "VIRTUAL_ACCOUNT" },
        acquirer: { id: "BCA" },
        channel: { id: "VIRTUAL_ACCOUNT_BCA" },
      },
    };
  }

  const server = await startServer((request) => {
    const denied = checkSignature(request);
    if (denied) return denied;
    const requestId = header(request, "request-id") ?? "";
    const replay = seenRequests.get(`${request.method} ${request.path} ${requestId}`);
    if (replay) return replay;
    let response: FakeResponse;
    const match = /^\/orders\/v1\/status\/([^/]+)$/.exec(request.path);
    if (request.method === "POST" && request.path === "/checkout/v1/payment") response = createPayment(request);
    else if (request.method === "GET" && match?.[1]) response = statusOf(decodeURIComponent(match[1]));
    else response = error(404, "not_found", "resource not found");
    if (request.method === "POST" && response.status < 500) seenRequests.set(`${request.method} ${request.path} ${requestId}`, response);
    return response;
  });
  baseUrl = server.url;

  function mustFind(id: string): Order {
    const order = orders.get(id) ?? [...orders.values()].find((item) => item.tokenId === id);
    if (!order) throw new Error(`doku fake: no order ${id}`);
    return order;
  }

  function settle(id: string): Order {
    const order = mustFind(id);
    order.status = "SUCCESS";
    order.hasTransaction = true;
    order.paidAt = now();
    return order;
  }

  function fail(id: string): Order {
    const order = mustFind(id);
    order.status = "FAILED";
    order.hasTransaction = true;
    return order;
  }

  function expire(id: string): Order {
    const order = mustFind(id);
    order.status = "EXPIRED";
    return order;
  }

  /** The HTTP notification DOKU sends for this order, signed for the notification URL's path. */
  function webhook(id: string, opts: WebhookOptions = {}): BuiltWebhook {
    const order = mustFind(id);
    const url = opts.url ?? options.notificationUrl;
    const payload = JSON.stringify({
      service: { id: "VIRTUAL_ACCOUNT" },
      acquirer: { id: "BCA" },
      channel: { id: "VIRTUAL_ACCOUNT_BCA" },
      order: { invoice_number: order.invoiceNumber, amount: order.amount },
      virtual_account_info: { virtual_account_number: "1900600000000046" },
      virtual_account_payment: { date: "20250101093000", systrace_number: "408", reference_number: "QqRyPeX3z4Pm", channel_code: "" },
      transaction: { status: order.status, date: new Date(order.paidAt ?? now()).toISOString().replace(/\.\d{3}Z$/, "Z"), original_request_id: order.requestId },
    });
    const requestId = randomUUID();
    const timestamp = new Date(now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    const target = url ? new URL(url).pathname : "/";
    return {
      url,
      headers: {
        "content-type": "application/json",
        "client-id": options.clientId,
        "request-id": requestId,
        "request-timestamp": timestamp,
        signature: sign({ clientId: options.clientId, requestId, timestamp, target, body: payload }),
      },
      rawBody: opts.tamper ? tamperWith(payload) : payload,
    };
  }

  async function postWebhook(id: string, opts: WebhookOptions = {}): Promise<Delivery> {
    return postBuilt(webhook(id, opts), opts);
  }

  return { url: server.url, requests: server.requests, hold: server.hold, close: server.close, orders, find: mustFind, settle, fail, expire, webhook, postWebhook };
}

export type DokuFake = Awaited<ReturnType<typeof startDokuFake>>;
