import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { parse as parseQuerystring, stringify as stringifyQuerystring } from "node:querystring";
import type { Verifier, VerifierInput, VerifyResult } from "./types.ts";
import {
  MISMATCH,
  NO_SECRET,
  anyEqual,
  contentType,
  fail,
  header,
  headerParam,
  hmac,
  isRecord,
  looksLikeJson,
  numParam,
  ok,
  outsideTolerance,
  parseForm,
  parseJson,
  parseMultipart,
  safeEqual,
  safeEqualSecret,
  secretFrom,
  strParam,
  toleranceReason,
  unixSeconds,
} from "./util.ts";

// ---- Standard Webhooks / Svix ----------------------------------------------

interface WebhookHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/**
 * The Standard Webhooks scheme (Svix is its origin): HMAC-SHA256 over
 * `${id}.${timestamp}.${rawBody}` keyed with the base64-decoded secret (after an
 * optional `whsec_` prefix); the signature header is a space-separated list of
 * `v1,<base64>`; any v1 entry may match. Timestamp must be within the tolerance
 * (default 300 s) in either direction, as the reference libraries check.
 */
function standardScheme(input: VerifierInput, names: WebhookHeaders, fallback?: WebhookHeaders): VerifyResult {
  const secret = secretFrom(input, "webhookSecret");
  if (!secret) return fail(NO_SECRET);
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  if (key.length === 0) return fail("webhook secret is not valid base64");
  const pick = (name: keyof WebhookHeaders) => header(input, names[name]) ?? (fallback ? header(input, fallback[name]) : undefined);
  const id = pick("id");
  const timestampText = pick("timestamp");
  const signatures = pick("signature");
  if (!id) return fail(`missing ${names.id} header`);
  if (!timestampText) return fail(`missing ${names.timestamp} header`);
  if (!signatures) return fail(`missing ${names.signature} header`);
  const timestamp = unixSeconds(timestampText);
  if (timestamp === undefined) return fail(`${names.timestamp} is not a Unix timestamp`);
  const expected = hmac("sha256", key, `${id}.${timestamp}.${input.rawBody}`).toString("base64");
  const candidates: string[] = [];
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",");
    if (version === "v1" && signature !== undefined) candidates.push(signature);
  }
  if (!anyEqual(candidates, expected)) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 300);
  if (outsideTolerance(timestamp, input.nowMs, tolerance)) return fail(toleranceReason(tolerance));
  return ok(id);
}

const headersFrom = (input: VerifierInput, defaults: WebhookHeaders): WebhookHeaders => ({
  id: headerParam(input.params, ["idHeader"], "id", defaults.id),
  timestamp: headerParam(input.params, ["timestampHeader"], "timestamp", defaults.timestamp),
  signature: headerParam(input.params, ["header", "signatureHeader"], "signature", defaults.signature),
});

const STANDARD: WebhookHeaders = { id: "webhook-id", timestamp: "webhook-timestamp", signature: "webhook-signature" };
const SVIX: WebhookHeaders = { id: "svix-id", timestamp: "svix-timestamp", signature: "svix-signature" };

/**
 * Standard Webhooks (https://www.standardwebhooks.com/, spec "Verifying webhooks"),
 * reference library `standardwebhooks` (npm). Symmetric `v1` signatures only.
 * Params: `secretField` (default "webhookSecret"); `idHeader`, `timestampHeader`,
 * `header` (defaults webhook-id, webhook-timestamp, webhook-signature);
 * `toleranceSeconds` (default 300). Event id: webhook-id.
 */
export const standardWebhooks: Verifier = (input) => standardScheme(input, headersFrom(input, STANDARD));

/**
 * Resend signs through Svix (Resend docs: /docs/dashboard/webhooks/verify-webhooks-requests,
 * https://docs.svix.com/receiving/verifying-payloads/how-manual): svix-id,
 * svix-timestamp, svix-signature, same algorithm as Standard Webhooks; like the
 * `svix` library, webhook-* headers are accepted when svix-* are absent.
 * Params as for standard_webhooks (defaults svix-*). Event id: svix-id.
 */
export const resendSvix: Verifier = (input) => standardScheme(input, headersFrom(input, SVIX), STANDARD);

// ---- Twilio ------------------------------------------------------------------

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

/** Splits a URL without normalising it (Twilio signs the URL exactly as configured). */
function splitUrl(url: string): UrlParts | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return undefined;
  const [prefix, scheme = "", authority = ""] = match;
  const userEnd = authority.lastIndexOf("@");
  const hostPort = authority.slice(userEnd + 1);
  const portAt = hostPort.indexOf(":", hostPort.lastIndexOf("]") + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userEnd + 1),
    host: portAt === -1 ? hostPort : hostPort.slice(0, portAt),
    port: portAt === -1 ? "" : hostPort.slice(portAt),
    rest: url.slice(prefix.length),
  };
}

function withPort(url: string): string {
  const parts = splitUrl(url);
  if (!parts || parts.port) return url;
  const port = parts.scheme.toLowerCase() === "https://" ? ":443" : ":80";
  return parts.scheme + parts.userInfo + parts.host + port + parts.rest;
}

function withoutPort(url: string): string {
  const parts = splitUrl(url);
  return parts ? parts.scheme + parts.userInfo + parts.host + parts.rest : url;
}

function withLegacyQuerystring(url: string): string {
  const at = url.indexOf("?");
  if (at === -1 || at === url.length - 1) return url;
  return `${url.slice(0, at)}?${stringifyQuerystring(parseQuerystring(url.slice(at + 1)))}`;
}

/** The URL forms twilio's validateRequest() tries, in its order. */
function twilioUrlCandidates(url: string): string[] {
  const candidates = [withoutPort(url), withPort(url)];
  try {
    const normalized = new URL(url).toString();
    const bare = withoutPort(normalized);
    const ported = withPort(normalized);
    candidates.push(bare, ported, withLegacyQuerystring(bare), withLegacyQuerystring(ported));
  } catch {
    // not a parseable URL: only the as-received forms apply
  }
  return [...new Set(candidates)];
}

function twilioSignature(authToken: string, url: string, params: Map<string, string[]>): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return hmac("sha1", authToken, data).toString("base64");
}

/**
 * Twilio: `X-Twilio-Signature` = base64 HMAC-SHA1(auth token, full URL + each
 * POST parameter sorted by name as name+value). A JSON body is instead covered
 * by the `bodySHA256` query parameter (hex SHA-256 of the body) and the URL is
 * signed with no parameters. As in twilio's validateRequest(), the URL is tried
 * with and without the default port, then in URL-normalised forms.
 * Twilio docs: /docs/usage/webhooks/webhooks-security; SDK:
 * twilio-node lib/webhooks/webhooks.js.
 *
 * Params: `secretField` (default "authToken"); `url` (the webhook URL as
 * configured in Twilio, when it differs from the URL the hub saw); `header`
 * (default "X-Twilio-Signature"). Event id: the I-Twilio-Idempotency-Token header.
 */
export const twilioSignatureVerifier: Verifier = (input) => {
  const authToken = secretFrom(input, "authToken");
  if (!authToken) return fail(NO_SECRET);
  const name = headerParam(input.params, ["header"], "signature", "X-Twilio-Signature");
  const received = header(input, name);
  if (!received) return fail(`missing ${name} header`);
  const url = strParam(input.params, "url") ?? input.url;
  const eventId = header(input, "i-twilio-idempotency-token");

  let bodyHash: string | null = null;
  try {
    bodyHash = new URL(url).searchParams.get("bodySHA256");
  } catch {
    bodyHash = null;
  }
  const params = new Map<string, string[]>();
  if (bodyHash === null && !looksLikeJson(input)) {
    for (const [key, value] of parseForm(input.rawBody)) params.set(key, [...(params.get(key) ?? []), value]);
  }
  let matched = false;
  for (const candidate of twilioUrlCandidates(url)) {
    if (safeEqual(received, twilioSignature(authToken, candidate, params))) matched = true;
  }
  if (!matched) return fail(MISMATCH);
  if (bodyHash !== null) {
    const expectedHash = createHash("sha256").update(input.rawBody, "utf8").digest("hex");
    if (!safeEqual(bodyHash, expectedHash)) return fail("bodySHA256 does not match the body");
  }
  return ok(eventId);
};

// ---- Meta --------------------------------------------------------------------

/**
 * Meta (WhatsApp Cloud API, Messenger, Instagram): `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256(app secret, rawBody)>`. No timestamp.
 * Docs: https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
 * Params: `secretField` (default "appSecret"); `header` (default
 * "X-Hub-Signature-256"); `prefix` (default "sha256="; "" for a bare hex
 * signature, as generic HMAC webhooks send it). No event id (a delivery
 * batches entries).
 */
export const metaHubSignature: Verifier = (input) => {
  const secret = secretFrom(input, "appSecret");
  if (!secret) return fail(NO_SECRET);
  const name = headerParam(input.params, ["header"], "signature", "X-Hub-Signature-256");
  const received = header(input, name);
  if (!received) return fail(`missing ${name} header`);
  // An empty prefix is a choice (a bare hex signature), not a missing param.
  const prefix = typeof input.params["prefix"] === "string" ? input.params["prefix"] : "sha256=";
  const expected = prefix + hmac("sha256", secret, input.rawBody).toString("hex");
  return safeEqual(received, expected) ? ok() : fail(MISMATCH);
};

export type ChallengeResult = { ok: true; challenge: string } | { ok: false; reason: string };

/**
 * Meta's subscription handshake: GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…
 * Answer 200 with `challenge` as the body when ok, else 403.
 */
export function metaChallenge(query: Record<string, string>, verifyToken: string): ChallengeResult {
  if (!verifyToken) return { ok: false, reason: "verify token is not configured" };
  if (query["hub.mode"] !== "subscribe") return { ok: false, reason: "hub.mode is not subscribe" };
  const token = query["hub.verify_token"];
  const challenge = query["hub.challenge"];
  if (!token) return { ok: false, reason: "missing hub.verify_token" };
  if (!challenge) return { ok: false, reason: "missing hub.challenge" };
  if (!safeEqualSecret(token, verifyToken)) return { ok: false, reason: "hub.verify_token does not match" };
  return { ok: true, challenge };
}

// ---- Mailgun -----------------------------------------------------------------

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;

/**
 * Mailgun: `signature` = hex HMAC-SHA256(webhook signing key, timestamp + token).
 * JSON webhooks carry `{ "signature": { timestamp, token, signature,
 * parent-signature? } }`; legacy form-encoded / multipart webhooks and inbound
 * routes carry top-level `timestamp`, `token`, `signature` fields. A subaccount's
 * events also carry `parent-signature` (made with the primary account's key);
 * either may match the configured key.
 * Docs: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
 * Params: `secretField` (default "webhookSigningKey"); `toleranceSeconds`
 * (default 0 = off; Mailgun suggests checking freshness and caching tokens).
 * Event id: `event-data.id`.
 */
export const mailgunSignature: Verifier = (input) => {
  const key = secretFrom(input, "webhookSigningKey");
  if (!key) return fail(NO_SECRET);
  let timestamp: string | undefined;
  let token: string | undefined;
  const signatures: string[] = [];
  let eventId: string | undefined;
  if (looksLikeJson(input)) {
    const body = parseJson(input.rawBody);
    if (!isRecord(body)) return fail("body is not a JSON object");
    const sig = body["signature"];
    if (!isRecord(sig)) return fail("missing signature object");
    timestamp = text(sig["timestamp"]);
    token = text(sig["token"]);
    for (const field of ["signature", "parent-signature"]) {
      const value = text(sig[field]);
      if (value) signatures.push(value);
    }
    const data = body["event-data"];
    if (isRecord(data)) eventId = text(data["id"]);
  } else {
    const fields = contentType(input).includes("multipart/form-data") ? parseMultipart(input) : parseForm(input.rawBody);
    const get = (name: string) => fields.find(([field]) => field === name)?.[1] || undefined;
    timestamp = get("timestamp");
    token = get("token");
    const signature = get("signature");
    if (signature) signatures.push(signature);
  }
  if (!timestamp) return fail("missing signature timestamp");
  if (!token) return fail("missing signature token");
  if (signatures.length === 0) return fail("missing signature");
  const expected = hmac("sha256", key, timestamp + token).toString("hex");
  if (!anyEqual(signatures, expected)) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 0);
  if (tolerance > 0) {
    const seconds = unixSeconds(timestamp);
    if (seconds === undefined) return fail("signature timestamp is not a Unix timestamp");
    if (outsideTolerance(seconds, input.nowMs, tolerance)) return fail(toleranceReason(tolerance));
  }
  return ok(eventId);
};

// ---- Shopee --------------------------------------------------------------------

/**
 * Shopee Open Platform push: `Authorization` = hex HMAC-SHA256(partner key,
 * `${callback URL}|${rawBody}`). No timestamp.
 * Docs: https://open.shopee.com/developer-guide/ (Push Mechanism, "Verify push content").
 * Params: `secretField` (default "partnerKey"; the live-push partner key);
 * `url` (the callback URL as registered with Shopee, when it differs from the URL
 * the hub saw); `header` (default "Authorization").
 */
export const shopeeSignature: Verifier = (input) => {
  const key = secretFrom(input, "partnerKey");
  if (!key) return fail(NO_SECRET);
  const name = headerParam(input.params, ["header"], "signature", "Authorization");
  const received = header(input, name);
  if (!received) return fail(`missing ${name} header`);
  const url = strParam(input.params, "url") ?? input.url;
  const expected = hmac("sha256", key, `${url}|${input.rawBody}`).toString("hex");
  return safeEqual(received, expected) ? ok() : fail(MISMATCH);
};

// ---- Postmark -------------------------------------------------------------------

/**
 * Postmark signs nothing: the owner puts HTTP Basic credentials in the webhook
 * URL (https://user:pass@host/path) and Postmark sends them as
 * `Authorization: Basic …`. Both parts are compared in constant time.
 * Postmark docs: /developer/webhooks/webhooks-overview#protecting-your-webhook
 * Params: `usernameField` (default "webhookUsername") — a secret field, else
 * `username` as a plain param; `passwordField` (alias `passwordSecret`, default
 * "webhookPassword").
 */
export const postmarkBasicAuth: Verifier = (input) => {
  const usernameField = strParam(input.params, "usernameField") ?? "webhookUsername";
  const passwordField = strParam(input.params, "passwordField", "passwordSecret") ?? "webhookPassword";
  const expectedUser = (Object.hasOwn(input.secrets, usernameField) ? input.secrets[usernameField] : undefined) || strParam(input.params, "username");
  const expectedPassword = Object.hasOwn(input.secrets, passwordField) ? input.secrets[passwordField] : undefined;
  if (!expectedUser || !expectedPassword) return fail("webhook credentials are not configured");
  const authorization = header(input, "authorization");
  if (!authorization) return fail("missing Authorization header");
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match?.[1]) return fail("Authorization header is not Basic credentials");
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return fail("Authorization header is not Basic credentials");
  const userOk = safeEqualSecret(decoded.slice(0, colon), expectedUser);
  const passwordOk = safeEqualSecret(decoded.slice(colon + 1), expectedPassword);
  return userOk && passwordOk ? ok() : fail("credentials do not match");
};

// ---- SendGrid -------------------------------------------------------------------

function publicKey(value: string): KeyObject | undefined {
  try {
    if (value.includes("-----BEGIN")) return createPublicKey(value);
    return createPublicKey({ key: Buffer.from(value, "base64"), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/**
 * SendGrid signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` =
 * base64 DER ECDSA (P-256, SHA-256) signature over timestamp + rawBody, with
 * `X-Twilio-Email-Event-Webhook-Timestamp`; verified with the account's
 * verification key (base64 DER SubjectPublicKeyInfo, as the dashboard shows it;
 * PEM also accepted).
 * Twilio docs: /docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features;
 * SDK: @sendgrid/eventwebhook.
 * Params: `secretField` (alias `publicKey`, default "webhookPublicKey"); `signatureHeader`,
 * `timestampHeader`; `toleranceSeconds` (default 0 = off; SendGrid documents none).
 * No event id (a delivery batches events, each with its own sg_event_id).
 */
export const sendgridEcdsa: Verifier = (input) => {
  const field = strParam(input.params, "secretField", "secret", "publicKey") ?? "webhookPublicKey";
  const keyText = Object.hasOwn(input.secrets, field) ? input.secrets[field] : undefined;
  if (!keyText) return fail("webhook public key is not configured");
  const key = publicKey(keyText);
  if (!key) return fail("webhook public key is not a valid key");
  const sigName = headerParam(input.params, ["signatureHeader", "header"], "signature", "X-Twilio-Email-Event-Webhook-Signature");
  const tsName = headerParam(input.params, ["timestampHeader"], "timestamp", "X-Twilio-Email-Event-Webhook-Timestamp");
  const signature = header(input, sigName);
  const timestamp = header(input, tsName);
  if (!signature) return fail(`missing ${sigName} header`);
  if (!timestamp) return fail(`missing ${tsName} header`);
  let valid = false;
  try {
    valid = verify("sha256", Buffer.from(timestamp + input.rawBody, "utf8"), { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
  } catch {
    valid = false;
  }
  if (!valid) return fail(MISMATCH);
  const tolerance = numParam(input.params, "toleranceSeconds", 0);
  if (tolerance > 0) {
    const seconds = unixSeconds(timestamp);
    if (seconds === undefined) return fail(`${tsName} is not a Unix timestamp`);
    if (outsideTolerance(seconds, input.nowMs, tolerance)) return fail(toleranceReason(tolerance));
  }
  return ok();
};
