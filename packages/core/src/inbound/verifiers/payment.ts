import { createHash } from "node:crypto";
import type { Verifier } from "./types.ts";
import {
  MISMATCH,
  NO_SECRET,
  anyEqual,
  fail,
  header,
  headerParam,
  hmac,
  isRecord,
  numParam,
  ok,
  outsideTolerance,
  parseJson,
  rawPath,
  safeEqual,
  safeEqualSecret,
  secretFrom,
  stringListParam,
  strParam,
  toleranceReason,
  unixSeconds,
} from "./util.ts";

const str = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;

/**
 * Midtrans HTTP notification: body field `signature_key` =
 * hex SHA-512(order_id + status_code + gross_amount + ServerKey).
 * Midtrans docs: /reference/handle-notifications
 *
 * Params: `secretField` (default "serverKey"); `field` (default "signature_key");
 * `fields`, the body fields concatenated before the key (default
 * ["order_id", "status_code", "gross_amount"]; Pay Account notifications use
 * ["account_id", "account_status", "status_code"]). No timestamp in the scheme.
 * Event id: `transaction_id:transaction_status[:fraud_status]`.
 */
export const midtransSignatureKey: Verifier = (input) => {
  const key = secretFrom(input, "serverKey");
  if (!key) return fail(NO_SECRET);
  const body = parseJson(input.rawBody);
  if (!isRecord(body)) return fail("body is not a JSON object");
  const field = strParam(input.params, "field") ?? "signature_key";
  const received = str(body[field]);
  if (!received) return fail(`missing ${field} field`);
  const fields =
    stringListParam(input.params, "fields") ??
    stringListParam(input.params, "concat")?.filter((name) => !name.includes("{{")) ?? ["order_id", "status_code", "gross_amount"];
  let signed = "";
  for (const name of fields) {
    const value = str(body[name]);
    if (value === undefined) return fail(`missing ${name} field`);
    signed += value;
  }
  const expected = createHash("sha512").update(signed + key, "utf8").digest("hex");
  if (!safeEqual(received, expected)) return fail(MISMATCH);
  const transactionId = str(body["transaction_id"]);
  const status = str(body["transaction_status"]);
  const fraud = str(body["fraud_status"]);
  return ok(transactionId && status ? [transactionId, status, ...(fraud ? [fraud] : [])].join(":") : undefined);
};

/**
 * Xendit: the `x-callback-token` header equals the account's callback
 * verification token (no signature, no timestamp).
 * Xendit docs: /api-integration/callback/setup
 *
 * Params: `secretField` (default "webhookSecret"); `header` (default "x-callback-token").
 * Event id: the `webhook-id` header when Xendit sends one.
 */
export const xenditCallbackToken: Verifier = (input) => {
  const token = secretFrom(input, "webhookSecret");
  if (!token) return fail(NO_SECRET);
  const name = headerParam(input.params, ["header"], "token", "x-callback-token");
  const received = header(input, name);
  if (!received) return fail(`missing ${name} header`);
  if (!safeEqualSecret(received, token)) return fail("callback token does not match");
  return ok(header(input, "webhook-id"));
};

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, each v1 =
 * hex HMAC-SHA256(key = the whsec_ string as-is, `${t}.${rawBody}`); any v1 may
 * match (several during secret rotation). As in Stripe's SDK, only an old
 * timestamp is rejected (default 300 s; 0 disables).
 * Stripe docs: /webhooks/signature; SDK: stripe-node Webhooks.js.
 *
 * Params: `secretField` (default "webhookSecret"); `header` (default
 * "Stripe-Signature"); `scheme` (default "v1"); `toleranceSeconds` (default 300).
 * Event id: body `id` (evt_...).
 */
export const stripeSignature: Verifier = (input) => {
  const secret = secretFrom(input, "webhookSecret");
  if (!secret) return fail(NO_SECRET);
  const name = headerParam(input.params, ["header"], "signature", "Stripe-Signature");
  const value = header(input, name);
  if (!value) return fail(`missing ${name} header`);
  const scheme = strParam(input.params, "scheme") ?? "v1";
  let timestamp = Number.NaN;
  const signatures: string[] = [];
  for (const item of value.split(",")) {
    const at = item.indexOf("=");
    if (at === -1) continue;
    const key = item.slice(0, at);
    const part = item.slice(at + 1);
    if (key === "t") timestamp = Number.parseInt(part, 10);
    else if (key === scheme) signatures.push(part);
  }
  if (!Number.isInteger(timestamp) || timestamp < 0) return fail(`no timestamp in ${name} header`);
  if (signatures.length === 0) return fail(`no ${scheme} signature in ${name} header`);
  const expected = hmac("sha256", secret, `${timestamp}.${input.rawBody}`).toString("hex");
  if (!anyEqual(signatures, expected)) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 300);
  if (outsideTolerance(timestamp, input.nowMs, tolerance, true)) return fail(toleranceReason(tolerance));
  const body = parseJson(input.rawBody);
  return ok(isRecord(body) ? str(body["id"]) : undefined);
};

/**
 * DOKU (non-SNAP) HTTP notification: headers Client-Id, Request-Id,
 * Request-Timestamp, Signature. Component string (lines joined by "\n", none
 * trailing): `Client-Id:…`, `Request-Id:…`, `Request-Timestamp:…`,
 * `Request-Target:<path of our notification URL>`, `Digest:<base64 SHA-256(body)>`
 * (Digest only for POST). Signature = "HMACSHA256=" + base64 HMAC-SHA256(Secret Key, component).
 * DOKU developer docs: /get-started-with-doku-api/signature-component/non-snap/signature-component-from-request-header
 *
 * Params: `secretField` (default "serverKey"); `headers.{clientId,requestId,timestamp,signature}`;
 * `requestTarget` (a path starting with "/"; default: the path of the URL DOKU called);
 * `clientId` (optional: also require this Client-Id); `toleranceSeconds`
 * (default 0 = off; DOKU documents no window for notifications).
 * Event id: Request-Id.
 */
export const dokuNonSnap: Verifier = (input) => {
  const secret = secretFrom(input, "serverKey");
  if (!secret) return fail(NO_SECRET);
  const names = {
    clientId: headerParam(input.params, ["clientIdHeader"], "clientId", "Client-Id"),
    requestId: headerParam(input.params, ["requestIdHeader"], "requestId", "Request-Id"),
    timestamp: headerParam(input.params, ["timestampHeader"], "timestamp", "Request-Timestamp"),
    signature: headerParam(input.params, ["header", "signatureHeader"], "signature", "Signature"),
  };
  const clientId = header(input, names.clientId);
  const requestId = header(input, names.requestId);
  const timestamp = header(input, names.timestamp);
  const signature = header(input, names.signature);
  if (!clientId) return fail(`missing ${names.clientId} header`);
  if (!requestId) return fail(`missing ${names.requestId} header`);
  if (!timestamp) return fail(`missing ${names.timestamp} header`);
  if (!signature) return fail(`missing ${names.signature} header`);
  const expectedClient = strParam(input.params, "clientId");
  if (expectedClient && !safeEqual(clientId, expectedClient)) return fail("Client-Id does not match");
  const configuredTarget = strParam(input.params, "requestTarget");
  const target = configuredTarget?.startsWith("/") ? configuredTarget : rawPath(input.url);
  const lines = [`Client-Id:${clientId}`, `Request-Id:${requestId}`, `Request-Timestamp:${timestamp}`, `Request-Target:${target}`];
  if (input.method.toUpperCase() !== "GET") {
    lines.push(`Digest:${createHash("sha256").update(input.rawBody, "utf8").digest("base64")}`);
  }
  const expected = `HMACSHA256=${hmac("sha256", secret, lines.join("\n")).toString("base64")}`;
  if (!safeEqual(signature, expected)) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 0);
  if (tolerance > 0) {
    const ms = Date.parse(timestamp);
    if (Number.isNaN(ms)) return fail(`${names.timestamp} is not an ISO 8601 time`);
    if (outsideTolerance(Math.floor(ms / 1000), input.nowMs, tolerance)) return fail(toleranceReason(tolerance));
  }
  return ok(requestId);
};

/**
 * Omise (Opn Payments): `Omise-Signature` = hex HMAC-SHA256(key = base64-decoded
 * webhook secret, `${Omise-Signature-Timestamp}.${rawBody}`); during secret
 * rotation the header carries two comma-separated signatures, either may match.
 * Docs: https://docs.omise.co/api-webhooks (signature verification section).
 *
 * Params: `secretField` (default "webhookSecret"); `header` (default
 * "Omise-Signature"); `timestampHeader` (default "Omise-Signature-Timestamp");
 * `toleranceSeconds` (default 0 = off: the stored docs state no window).
 * Event id: body `id` (evnt_...).
 */
export const omiseSignature: Verifier = (input) => {
  const secret = secretFrom(input, "webhookSecret");
  if (!secret) return fail(NO_SECRET);
  const key = Buffer.from(secret, "base64");
  if (key.length === 0) return fail("webhook secret is not valid base64");
  const sigName = headerParam(input.params, ["header", "signatureHeader"], "signature", "Omise-Signature");
  const tsName = headerParam(input.params, ["timestampHeader"], "timestamp", "Omise-Signature-Timestamp");
  const signatures = header(input, sigName);
  const timestamp = header(input, tsName);
  if (!signatures) return fail(`missing ${sigName} header`);
  if (!timestamp) return fail(`missing ${tsName} header`);
  const expected = hmac("sha256", key, `${timestamp}.${input.rawBody}`).toString("hex");
  const candidates = signatures.split(",").map((s) => s.trim()).filter(Boolean);
  if (!anyEqual(candidates, expected)) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 0);
  if (tolerance > 0) {
    const seconds = unixSeconds(timestamp);
    if (seconds === undefined) return fail(`${tsName} is not a Unix timestamp`);
    if (outsideTolerance(seconds, input.nowMs, tolerance)) return fail(toleranceReason(tolerance));
  }
  const body = parseJson(input.rawBody);
  return ok(isRecord(body) ? str(body["id"]) : undefined);
};
