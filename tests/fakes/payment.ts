import { randomUUID } from "node:crypto";
import { basicAuth, bearer, routes, startHttpFake, type FakeRequest, type HttpFake } from "./server.ts";

/**
 * Read-only payment endpoints, as documented:
 * - Midtrans GET /v2/{order_id}/status, Basic(server key + ":") — an unknown order is
 *   HTTP 200 with body status_code "404" "Transaction doesn't exist."; a refused key
 *   is 401 "Unknown Merchant server_key/id" (docs.midtrans.com/docs/get-status-api-requests,
 *   /reference/code-4xx).
 * - Stripe GET /v1/balance, Bearer secret key (or Basic with the key as user name);
 *   401 invalid_request_error for a missing or wrong key (docs.stripe.com/api/balance/balance_retrieve,
 *   /api/authentication, /api/errors).
 * - Xendit GET /balance?account_type=CASH, Basic(secret key + ":"); 401 INVALID_API_KEY
 *   (docs.xendit.co/apidocs/get-balance).
 */

export async function startMidtransFake(options: { serverKey: string; orders?: Record<string, string> }): Promise<HttpFake> {
  const status = (request: FakeRequest, [orderId = ""]: string[]) => {
    const credentials = basicAuth(request);
    if (!credentials || credentials.user !== options.serverKey) {
      return { status: 401, json: { status_code: "401", status_message: "Unknown Merchant server_key/id", id: randomUUID() } };
    }
    const transactionStatus = options.orders?.[orderId];
    if (!transactionStatus) {
      // Midtrans answers an unknown order with HTTP 200 and the real status in the body.
      return { status: 200, json: { status_code: "404", status_message: "Transaction doesn't exist.", id: randomUUID() } };
    }
    return {
      json: {
        status_code: "200",
        status_message: "Success, transaction is found",
        transaction_id: randomUUID(),
        order_id: orderId,
        gross_amount: "10000.00",
        currency: "IDR",
        payment_type: "bank_transfer",
        transaction_status: transactionStatus,
        fraud_status: "accept",
      },
    };
  };
  return startHttpFake(routes({ "GET /v2/:order/status": status }, { status: 404, json: { status_code: "404", status_message: "The requested resource is not found" } }));
}

export async function startStripeFake(options: { secretKey: string }): Promise<HttpFake> {
  const stripeMask = (key: string) => `${key.slice(0, key.indexOf("_", 3) + 1)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
  const balance = (request: FakeRequest) => {
    const key = bearer(request) ?? basicAuth(request)?.user;
    if (!key) {
      return {
        status: 401,
        json: {
          error: {
            message:
              "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            type: "invalid_request_error",
          },
        },
      };
    }
    if (key !== options.secretKey) {
      return { status: 401, json: { error: { message: `Invalid API Key provided: ${stripeMask(key)}`, type: "invalid_request_error" } } };
    }
    const money = [{ amount: 0, currency: "idr", source_types: { card: 0 } }];
    return { json: { object: "balance", available: money, connect_reserved: [{ amount: 0, currency: "idr" }], livemode: false, pending: money } };
  };
  return startHttpFake(
    routes(
      { "GET /v1/balance": balance },
      { status: 404, json: { error: { message: "Unrecognized request URL. Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", type: "invalid_request_error" } } },
    ),
  );
}

export async function startXenditFake(options: { secretKey: string; balance?: number }): Promise<HttpFake> {
  const balance = (request: FakeRequest) => {
    const credentials = basicAuth(request);
    if (!credentials) return { status: 401, json: { error_code: "INVALID_API_KEY", message: "API key is required" } };
    if (credentials.user !== options.secretKey) return { status: 401, json: { error_code: "INVALID_API_KEY", message: "API key is invalid" } };
    const type = request.query.get("account_type") ?? "CASH";
    if (!["CASH", "HOLDING", "TAX"].includes(type.toUpperCase())) {
      return { status: 400, json: { error_code: "API_VALIDATION_ERROR", message: "account_type must be one of [CASH, HOLDING, TAX]" } };
    }
    return { json: { balance: options.balance ?? 1_241_231 } };
  };
  return startHttpFake(routes({ "GET /balance": balance }, { status: 404, json: { error_code: "NOT_FOUND", message: "Not found" } }));
}
