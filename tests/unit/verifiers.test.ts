/**
 * Webhook signature verifiers, proven against code nobody here wrote: payloads
 * are signed with the vendors' own SDKs where one exists on npm (stripe, twilio,
 * svix, standardwebhooks), checked against SendGrid's official SDK test vector,
 * and otherwise against golden values computed outside this code base (Python's
 * hashlib/hmac/json from the vendor's documented formula and, where the docs
 * publish them, the documented example inputs).
 */
import { createHash, generateKeyPairSync, sign as ecdsaSign } from "node:crypto";
import { SignatureMethod } from "@sambung/core/preset/schema";
import { metaChallenge, phpJsonEncode, verifiers, type VerifierInput, type VerifyResult } from "@sambung/core/inbound/verifiers/index";
import { resolveConfigRefs } from "@sambung/core/inbound/verifiers/util";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import twilio from "twilio";
import { describe, expect, it } from "vitest";

const NOW_MS = 1_714_000_000_000;
const NOW_S = NOW_MS / 1000;

function request(overrides: Partial<VerifierInput>): VerifierInput {
  return {
    rawBody: "",
    headers: {},
    method: "POST",
    url: "https://hub.example.co.id/webhook/payment/test",
    query: {},
    secrets: {},
    params: {},
    nowMs: NOW_MS,
    ...overrides,
  };
}

/** Flips the lowest bit of the character at `index` (printable ASCII stays printable). */
function flip(text: string, index: number): string {
  return text.slice(0, index) + String.fromCharCode(text.charCodeAt(index) ^ 1) + text.slice(index + 1);
}

const positions = (text: string): number[] => [0, Math.floor(text.length / 2), text.length - 1];

function expectOk(result: VerifyResult, eventId?: string): void {
  expect(result).toEqual(eventId === undefined ? { ok: true } : { ok: true, eventId });
}

/** Rejected, with a reason matching `reason` that names none of the `hidden` values. */
function expectRejected(result: VerifyResult, reason: RegExp, hidden: string[] = []): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(reason);
  for (const value of hidden) if (value.length >= 6) expect(result.reason).not.toContain(value);
}

function withHeader(input: VerifierInput, name: string, value: string | undefined): VerifierInput {
  const headers = Object.fromEntries(Object.entries(input.headers).filter(([key]) => key !== name));
  return { ...input, headers: value === undefined ? headers : { ...headers, [name]: value } };
}

describe("the verifier table", () => {
  it("has exactly one verifier per SignatureMethod, `none` included", () => {
    expect(Object.keys(verifiers).sort()).toEqual([...SignatureMethod.options].sort());
    expectOk(verifiers.none(request({ rawBody: "anything" })));
  });

  it("inherits nothing, so a method name from a record cannot reach Object.prototype", () => {
    const lookup = verifiers as unknown as Record<string, unknown>;
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) expect(lookup[name]).toBeUndefined();
    expect(Object.isFrozen(verifiers)).toBe(true);
  });
});

describe("stripe_signature (official stripe SDK)", () => {
  const secret = "whsec_test_3Fq9XbLr2mKc7VpN0aZdHyUe";
  const payload = JSON.stringify({ id: "evt_1PxYz2AbCdEfGh", object: "event", type: "payment_intent.succeeded", data: { object: { id: "pi_1", amount: 150000, currency: "idr" } } });
  const signed = (timestamp = NOW_S, key = secret) =>
    request({ rawBody: payload, headers: { "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: key, timestamp }) }, secrets: { webhookSecret: secret } });
  const verify = verifiers.stripe_signature;

  it("accepts what the SDK signs, and the SDK agrees", () => {
    const input = signed();
    expectOk(verify(input), "evt_1PxYz2AbCdEfGh");
    expect(Stripe.webhooks.signature?.verifyHeader(payload, input.headers["stripe-signature"] ?? "", secret, 300, undefined, NOW_MS)).toBe(true);
  });

  it("accepts when any of several v1 signatures matches (secret rolling)", () => {
    const header = signed().headers["stripe-signature"] ?? "";
    const other = Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_old", timestamp: NOW_S }).split(",")[1];
    expectOk(verify(withHeader(signed(), "stripe-signature", `${header.split(",")[0]},${other},${header.split(",")[1]}`)), "evt_1PxYz2AbCdEfGh");
  });

  it("rejects a tampered body byte, a tampered signature, a wrong secret, a stale timestamp and a missing header", () => {
    const input = signed();
    for (const at of positions(payload)) expectRejected(verify({ ...input, rawBody: flip(payload, at) }), /^signature does not match$/);
    const header = input.headers["stripe-signature"] ?? "";
    expectRejected(verify(withHeader(input, "stripe-signature", flip(header, header.length - 10))), /^signature does not match$/);
    expectRejected(verify({ ...input, secrets: { webhookSecret: "whsec_wrong" } }), /^signature does not match$/, [secret]);
    expectRejected(verify(signed(NOW_S - 301)), /^timestamp outside the 300 s tolerance$/);
    expectOk(verify(signed(NOW_S - 299)), "evt_1PxYz2AbCdEfGh");
    expectRejected(verify(withHeader(input, "stripe-signature", undefined)), /^missing Stripe-Signature header$/);
    expectRejected(verify({ ...input, secrets: {} }), /not configured/);
  });

  it("takes the secret field and tolerance from params", () => {
    const input = { ...signed(NOW_S - 3600), secrets: { other: secret }, params: { secretField: "other", toleranceSeconds: 7200 } };
    expectOk(verify(input), "evt_1PxYz2AbCdEfGh");
  });
});

describe("twilio_signature (official twilio SDK)", () => {
  const authToken = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
  const url = "https://hub.example.co.id/webhook/sms/twilio?tenant=bali-resort";
  const params = { AccountSid: "AC0123456789abcdef0123456789abcdef", Body: "Halo, saya mau pesan kamar untuk 2 malam + sarapan", From: "+6281234567890", MessageSid: "SM0123456789abcdef0123456789abcdef", To: "+14155550100" };
  const form = new URLSearchParams(params).toString();
  const verify = verifiers.twilio_signature;
  const formRequest = (signature: string, overrides: Partial<VerifierInput> = {}) =>
    request({
      url,
      rawBody: form,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "i-twilio-idempotency-token": "b1c2d3e4-idem" },
      secrets: { authToken },
      ...overrides,
    });

  it("accepts a form POST signed by the SDK, and the SDK agrees", () => {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    expect(twilio.validateRequest(authToken, signature, url, params)).toBe(true);
    expectOk(verify(formRequest(signature)), "b1c2d3e4-idem");
  });

  it("accepts the URL with the default port added or removed, as validateRequest does", () => {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    const ported = url.replace("hub.example.co.id", "hub.example.co.id:443");
    expect(twilio.validateRequest(authToken, signature, ported, params)).toBe(true);
    expectOk(verify(formRequest(signature, { url: ported })), "b1c2d3e4-idem");
  });

  it("signs repeated form fields as the SDK does (sorted, de-duplicated)", () => {
    const repeated = { MediaUrl: ["https://api.twilio.com/b.jpg", "https://api.twilio.com/a.jpg"], NumMedia: "2" };
    const body = "MediaUrl=https%3A%2F%2Fapi.twilio.com%2Fb.jpg&MediaUrl=https%3A%2F%2Fapi.twilio.com%2Fa.jpg&NumMedia=2";
    const signature = twilio.getExpectedTwilioSignature(authToken, url, repeated);
    expectOk(verify(formRequest(signature, { rawBody: body })), "b1c2d3e4-idem");
  });

  it("accepts a JSON body covered by bodySHA256, as validateRequestWithBody does", () => {
    const body = JSON.stringify({ event: "conversation.message.added", sid: "IM0123" });
    const signedUrl = `${url}&bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const signature = twilio.getExpectedTwilioSignature(authToken, signedUrl, {});
    expect(twilio.validateRequestWithBody(authToken, signature, signedUrl, body)).toBe(true);
    const input = formRequest(signature, { url: signedUrl, rawBody: body, headers: { "content-type": "application/json", "x-twilio-signature": signature } });
    expectOk(verify(input));
    for (const at of positions(body)) expectRejected(verify({ ...input, rawBody: flip(body, at) }), /^bodySHA256 does not match the body$/);
  });

  it("rejects a tampered body byte, a tampered signature, a wrong token, another URL and a missing header", () => {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    for (const at of positions(form)) expectRejected(verify(formRequest(signature, { rawBody: flip(form, at) })), /^signature does not match$/);
    expectRejected(verify(formRequest(flip(signature, 5))), /^signature does not match$/);
    expectRejected(verify(formRequest(signature, { secrets: { authToken: "0".repeat(32) } })), /^signature does not match$/, [authToken, signature]);
    expectRejected(verify(formRequest(signature, { url: url.replace("bali", "lombok") })), /^signature does not match$/);
    expectRejected(verify(withHeader(formRequest(signature), "x-twilio-signature", undefined)), /^missing X-Twilio-Signature header$/);
  });
});

describe("resend_svix (official svix SDK)", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const payload = JSON.stringify({ type: "email.delivered", created_at: "2026-03-01T10:00:00.000Z", data: { email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", to: ["tamu@example.com"] } });
  const msgId = "msg_2gJxQ0dPq8F0bT3nV6Lw";
  const signed = (at = new Date(NOW_MS), key = secret) =>
    request({
      rawBody: payload,
      headers: { "svix-id": msgId, "svix-timestamp": String(Math.floor(at.getTime() / 1000)), "svix-signature": new SvixWebhook(key).sign(msgId, at, payload) },
      secrets: { webhookSecret: secret },
    });
  const verify = verifiers.resend_svix;

  it("accepts what the SDK signs, also as the second of two signatures, and under webhook-* names", () => {
    const input = signed();
    expectOk(verify(input), msgId);
    const rotated = `v1,${"A".repeat(43)}= ${input.headers["svix-signature"] ?? ""}`;
    expectOk(verify(withHeader(input, "svix-signature", rotated)), msgId);
    const unbranded = request({
      rawBody: payload,
      secrets: input.secrets,
      headers: { "webhook-id": msgId, "webhook-timestamp": input.headers["svix-timestamp"] ?? "", "webhook-signature": input.headers["svix-signature"] ?? "" },
    });
    expectOk(verify(unbranded), msgId);
  });

  it("rejects a tampered body byte, a tampered signature, a wrong secret, a stale or future timestamp and missing headers", () => {
    const input = signed();
    for (const at of positions(payload)) expectRejected(verify({ ...input, rawBody: flip(payload, at) }), /^signature does not match$/);
    const signature = input.headers["svix-signature"] ?? "";
    expectRejected(verify(withHeader(input, "svix-signature", flip(signature, 10))), /^signature does not match$/, [signature.slice(3)]);
    expectRejected(verify(signed(new Date(NOW_MS), "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=")), /^signature does not match$/, [secret]);
    expectRejected(verify(signed(new Date(NOW_MS - 301_000))), /^timestamp outside the 300 s tolerance$/);
    expectRejected(verify(signed(new Date(NOW_MS + 301_000))), /^timestamp outside the 300 s tolerance$/);
    expectRejected(verify(withHeader(input, "svix-id", undefined)), /^missing svix-id header$/);
    expectRejected(verify(withHeader(input, "svix-signature", undefined)), /^missing svix-signature header$/);
    expectRejected(verify(withHeader(input, "svix-timestamp", "soon")), /not a Unix timestamp/);
  });
});

describe("standard_webhooks (official standardwebhooks SDK)", () => {
  const secret = `whsec_${Buffer.from("sambung-standard-webhooks-key-32b").toString("base64")}`;
  const payload = JSON.stringify({ type: "booking.created", timestamp: "2026-03-01T10:00:00Z", data: { booking: "BK-2026-0001", nights: 2 } });
  const msgId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  const signed = (at = new Date(NOW_MS)) =>
    request({
      rawBody: payload,
      headers: { "webhook-id": msgId, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new StandardWebhook(secret).sign(msgId, at, payload) },
      secrets: { webhookSecret: secret },
    });
  const verify = verifiers.standard_webhooks;

  it("accepts what the SDK signs, and the SDK agrees", () => {
    const now = new Date();
    const input = { ...signed(now), nowMs: now.getTime() };
    expectOk(verify(input), msgId);
    expect(new StandardWebhook(secret).verify(payload, input.headers)).toMatchObject({ type: "booking.created" });
  });

  it("rejects a tampered body byte, a tampered signature, a wrong secret, a stale timestamp and a missing header", () => {
    const input = signed();
    for (const at of positions(payload)) expectRejected(verify({ ...input, rawBody: flip(payload, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "webhook-signature", flip(input.headers["webhook-signature"] ?? "", 20))), /^signature does not match$/);
    expectRejected(verify({ ...input, secrets: { webhookSecret: "whsec_b3RoZXIta2V5LW90aGVyLWtleQ==" } }), /^signature does not match$/, [secret]);
    expectRejected(verify(signed(new Date(NOW_MS - 301_000))), /^timestamp outside the 300 s tolerance$/);
    expectRejected(verify(withHeader(input, "webhook-timestamp", undefined)), /^missing webhook-timestamp header$/);
    expectRejected(verify({ ...input, headers: { "svix-id": msgId } }), /^missing webhook-id header$/);
  });
});

describe("sendgrid_ecdsa (official @sendgrid/eventwebhook test vector)", () => {
  // Vector from sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js.
  const PUBLIC_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
  const SIGNATURE = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
  const TIMESTAMP = "1588788367";
  const PAYLOAD = JSON.stringify({ category: "example_payload", event: "test_event", message_id: "message_id" });
  const OTHER_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
  const input = request({
    rawBody: PAYLOAD,
    headers: { "x-twilio-email-event-webhook-signature": SIGNATURE, "x-twilio-email-event-webhook-timestamp": TIMESTAMP },
    secrets: { webhookPublicKey: PUBLIC_KEY },
  });
  const verify = verifiers.sendgrid_ecdsa;

  it("accepts the SDK's vector", () => {
    expectOk(verify(input));
  });

  it("rejects a tampered body byte, a tampered signature, another key, a stale timestamp when a tolerance is set, and a missing header", () => {
    for (const at of positions(PAYLOAD)) expectRejected(verify({ ...input, rawBody: flip(PAYLOAD, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "x-twilio-email-event-webhook-signature", flip(SIGNATURE, 40))), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "x-twilio-email-event-webhook-timestamp", "1588788368")), /^signature does not match$/);
    expectRejected(verify({ ...input, secrets: { webhookPublicKey: OTHER_KEY } }), /^signature does not match$/);
    expectRejected(verify({ ...input, params: { toleranceSeconds: 300 } }), /^timestamp outside the 300 s tolerance$/);
    expectRejected(verify(withHeader(input, "x-twilio-email-event-webhook-signature", undefined)), /^missing X-Twilio-Email-Event-Webhook-Signature header$/);
    expectRejected(verify({ ...input, secrets: { webhookPublicKey: "not a key" } }), /not a valid key/);
  });

  it("verifies a fresh P-256 signature, key given as PEM or base64 DER", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const body = JSON.stringify([{ email: "tamu@example.com", event: "delivered", sg_event_id: "sg-1" }]);
    const timestamp = String(NOW_S);
    const signature = ecdsaSign("sha256", Buffer.from(timestamp + body), privateKey).toString("base64");
    const headers = { "x-twilio-email-event-webhook-signature": signature, "x-twilio-email-event-webhook-timestamp": timestamp };
    const der = publicKey.export({ format: "der", type: "spki" }).toString("base64");
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    expectOk(verify(request({ rawBody: body, headers, secrets: { webhookPublicKey: der }, params: { toleranceSeconds: 300 } })));
    expectOk(verify(request({ rawBody: body, headers, secrets: { webhookPublicKey: pem } })));
  });
});

describe("midtrans_signature_key (documented example inputs)", () => {
  // docs.midtrans.com/reference/handle-notifications: order_id "1111", status_code "200",
  // gross_amount "100000.00", server key "askvnoibnosifnboseofinbofinfgbiufglnbfg".
  // Expected value: Python hashlib.sha512(order_id + status_code + gross_amount + server_key).hexdigest().
  const serverKey = "askvnoibnosifnboseofinbofinfgbiufglnbfg";
  const expected = "edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231";
  const body = (signatureKey: string, overrides: Record<string, string> = {}) =>
    JSON.stringify({
      transaction_time: "2026-03-01 10:00:00",
      transaction_status: "settlement",
      transaction_id: "5d1c4e1a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
      status_code: "200",
      signature_key: signatureKey,
      payment_type: "bank_transfer",
      order_id: "1111",
      gross_amount: "100000.00",
      fraud_status: "accept",
      ...overrides,
    });
  const verify = verifiers.midtrans_signature_key;
  const input = request({ rawBody: body(expected), secrets: { serverKey } });

  it("accepts the documented example", () => {
    expectOk(verify(input), "5d1c4e1a-2b3c-4d5e-8f90-a1b2c3d4e5f6:settlement:accept");
  });

  it("rejects tampered signed fields, a tampered signature, a wrong key and a missing signature_key", () => {
    expectRejected(verify({ ...input, rawBody: body(expected, { gross_amount: "900000.00" }) }), /^signature does not match$/, [expected]);
    expectRejected(verify({ ...input, rawBody: body(expected, { order_id: "1112" }) }), /^signature does not match$/);
    expectRejected(verify({ ...input, rawBody: body(expected, { status_code: "201" }) }), /^signature does not match$/);
    expectRejected(verify({ ...input, rawBody: body(flip(expected, 64)) }), /^signature does not match$/);
    expectRejected(verify({ ...input, secrets: { serverKey: "SB-Mid-server-wrong" } }), /^signature does not match$/, [serverKey]);
    expectRejected(verify({ ...input, rawBody: JSON.stringify({ order_id: "1111" }) }), /^missing signature_key field$/);
    expectRejected(verify({ ...input, rawBody: "order_id=1111" }), /not a JSON object/);
  });
});

describe("doku_non_snap (documented formula)", () => {
  // Component and Digest as in developers.doku.com ... /non-snap/signature-component-from-request-header;
  // Request-Target is the path of our notification URL (docs' example: /payments/notifications).
  // Expected value: Python base64(hmac.new(secret, component, sha256)).
  const secret = "SK-hCJ42G28TA0MKG9LE2E";
  const body = '{"order":{"invoice_number":"INV-20210124-0001","amount":150000},"transaction":{"status":"SUCCESS","date":"2021-01-24T05:00:00Z"}}';
  const signature = "HMACSHA256=Dam3JtfP+tkPwOdfLCwcSd2hNa/S7OQ134lPMGuen8I=";
  const input = request({
    url: "https://hub.example.co.id/payments/notifications?x=1",
    rawBody: body,
    headers: { "client-id": "MCH-0001-10791114622547", "request-id": "a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6", "request-timestamp": "2021-01-24T05:00:01Z", signature },
    secrets: { serverKey: secret },
  });
  const verify = verifiers.doku_non_snap;

  it("accepts a notification signed per the docs", () => {
    expect(createHash("sha256").update(body).digest("base64")).toBe("k0hDNLQYILrheDoJE6eeG5drO15TCy8MYFgz36OxNA8=");
    expectOk(verify(input), "a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6");
    expectOk(verify({ ...input, url: "https://other-host/ignored", params: { requestTarget: "/payments/notifications" } }), "a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6");
  });

  it("rejects a tampered body byte, a tampered signature, a wrong key, another path, a wrong client, a stale timestamp and a missing header", () => {
    for (const at of positions(body)) expectRejected(verify({ ...input, rawBody: flip(body, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "signature", flip(signature, 20))), /^signature does not match$/, [signature.slice(11)]);
    expectRejected(verify({ ...input, secrets: { serverKey: "SK-wrong-key-000000" } }), /^signature does not match$/, [secret]);
    expectRejected(verify({ ...input, url: "https://hub.example.co.id/payments/notification" }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "request-id", "a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d7")), /^signature does not match$/);
    expectRejected(verify({ ...input, params: { clientId: "MCH-0001-99999999999999" } }), /^Client-Id does not match$/);
    expectRejected(verify({ ...input, params: { toleranceSeconds: 300 } }), /^timestamp outside the 300 s tolerance$/);
    expectOk(verify({ ...input, params: { toleranceSeconds: 300 }, nowMs: Date.parse("2021-01-24T05:02:00Z") }), "a1b2c3d4-5e6f-7a8b-9c0d-e1f2a3b4c5d6");
    expectRejected(verify(withHeader(input, "client-id", undefined)), /^missing Client-Id header$/);
    expectRejected(verify(withHeader(input, "signature", undefined)), /^missing Signature header$/);
  });
});

describe("omise_signature (documented formula)", () => {
  // HMAC-SHA256 keyed with the base64-decoded webhook secret over `${timestamp}.${body}`, hex;
  // comma-separated signatures during rotation. Expected value computed with Python hmac.
  const secret = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
  const body = '{"object":"event","id":"evnt_test_5xuy4w91xqz7d1w9u0t","key":"charge.complete","data":{"object":"charge","id":"chrg_test_1","amount":100000,"currency":"thb"}}';
  const signature = "81965ee5ca1057f6149f18615527b386eb03c94bd89abe37bbd2b9ccf03811c9";
  const input = request({ rawBody: body, headers: { "omise-signature": signature, "omise-signature-timestamp": "1714000000" }, secrets: { webhookSecret: secret } });
  const verify = verifiers.omise_signature;

  it("accepts the signature alone or next to an old one", () => {
    expectOk(verify(input), "evnt_test_5xuy4w91xqz7d1w9u0t");
    expectOk(verify(withHeader(input, "omise-signature", `${"0".repeat(64)},${signature}`)), "evnt_test_5xuy4w91xqz7d1w9u0t");
  });

  it("rejects a tampered body byte, a tampered signature, a wrong secret, another timestamp, a stale timestamp and a missing header", () => {
    for (const at of positions(body)) expectRejected(verify({ ...input, rawBody: flip(body, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "omise-signature", flip(signature, 31))), /^signature does not match$/, [signature]);
    expectRejected(verify({ ...input, secrets: { webhookSecret: Buffer.from("another secret").toString("base64") } }), /^signature does not match$/, [secret]);
    expectRejected(verify(withHeader(input, "omise-signature-timestamp", "1714000001")), /^signature does not match$/);
    expectRejected(verify({ ...input, params: { toleranceSeconds: 300 }, nowMs: NOW_MS + 301_000 }), /^timestamp outside the 300 s tolerance$/);
    expectRejected(verify(withHeader(input, "omise-signature-timestamp", undefined)), /^missing Omise-Signature-Timestamp header$/);
  });
});

describe("ipaymu_signature (documented example payload)", () => {
  // Form body: the x-www-form-urlencoded example in github.com/ipaymu/docs-ipaymu-api-v2
  // content/docs/callback.en.mdx, secret key "123456" as in its samples. Expected value:
  // Python json.dumps(normalised fields, sort_keys=True, separators=(",", ":"),
  // ensure_ascii=True) with "/" → "\/" (PHP json_encode), then hmac sha256 hex.
  const form =
    "buyer_email=customer%40example.com&buyer_name=John%20Doe&buyer_phone=081234567890&created_at=2025-11-11%2010%3A00%3A00&expired_at=2025-11-11%2011%3A00%3A00&fee=1500&paid_at=2025-11-11%2010%3A10%3A52&reference_id=ORDER123456&sid=SESSION789&status=berhasil&status_code=1&status_desc=Success&channel=bca&paid_off=98500&product=Product%20Name&quantity=1&merchant=YOUR_IPAYMU_VA&merchant_name=Your%20Store&system_notes=Payment%20completed&trscode=TRX789012&trx_id=12345678&unique_code=0&via=va&payment_no=1234567890&va=1234567890&url=https%3A%2F%2Fyour-domain.com%2Fcallback&additional_info=%5B%5D&transaction_status_code=1&settlement_status=unsettle&settlement_date=null&expired_time=3600&expired_unix=1762842000&is_escrow=0&is_refund=0&is_sandbox=false&total=100000&amount=100000&sub_total=100000&referenceId=ORDER123456";
  const formSignature = "b56e1bc9370785c1fed5fbc24e94be9071a825ef7814a28d649973e3b5f7c7be";
  const formInput = request({ rawBody: form, headers: { "content-type": "application/x-www-form-urlencoded", "x-signature": formSignature }, secrets: { webhookSecret: "123456" } });
  const json =
    '{"trx_id":98765,"sid":"f3c1-22","reference_id":"INV/2025/11/0042","status":"berhasil","status_code":1,"total":"250000","paid_off":247500,"buyer_name":"Ni Luh Ayu Dewi \\u00e9","additional_info":[],"is_escrow":false,"url":"https://hub.example.co.id/webhook/payment/ipaymu"}';
  const jsonSignature = "f2450dac49cb46a0e7d4459d327066671d602e199ae5e75fc667e0c1bbddd5ca";
  const jsonInput = request({ rawBody: json, headers: { "content-type": "application/json", "x-signature": jsonSignature }, secrets: { webhookSecret: "0000001234567890" } });
  const verify = verifiers.ipaymu_signature;

  it("encodes JSON as PHP's json_encode does", () => {
    expect(phpJsonEncode({ a: "x/y", b: "é", c: [], d: {}, e: true, f: null, g: 'q"\\' })).toBe('{"a":"x\\/y","b":"\\u00e9","c":[],"d":[],"e":true,"f":null,"g":"q\\"\\\\"}');
  });

  it("accepts the documented form callback and a JSON callback", () => {
    expectOk(verify(formInput), "12345678:1");
    expectOk(verify(jsonInput), "98765:1");
    expectOk(verify({ ...jsonInput, secrets: {}, params: { va: "0000001234567890" } }), "98765:1");
  });

  it("keys with the VA the preset points at (key: {{config.va}}), falling back to the webhookSecret secret", () => {
    const preset = { key: "{{config.va}}" };
    const fromConfig = resolveConfigRefs(preset, { va: "0000001234567890" });
    expect(fromConfig).toEqual({ key: "0000001234567890" });
    expectOk(verify({ ...jsonInput, secrets: {}, params: fromConfig }), "98765:1");
    // The record's VA wins over a stale secret; a wrong VA in the record is a mismatch.
    expectOk(verify({ ...jsonInput, secrets: { webhookSecret: "stale" }, params: fromConfig }), "98765:1");
    expectRejected(verify({ ...jsonInput, secrets: {}, params: resolveConfigRefs(preset, { va: "0000009999999999" }) }), /^signature does not match$/);
    // No VA in the record: owners who entered it as the webhook secret keep working.
    const empty = resolveConfigRefs(preset, {});
    expect(empty).toEqual({ key: "" });
    expectOk(verify({ ...jsonInput, params: empty }), "98765:1");
    expectRejected(verify({ ...jsonInput, secrets: {}, params: empty }), /^webhook secret is not configured$/);
    // Secrets are never filled in from params.
    expect(resolveConfigRefs({ concat: ["order_id", "{{secrets.serverKey}}"], nested: { a: "{{config.a.b}}" } }, { a: { b: 7 } })).toEqual({ concat: ["order_id", "{{secrets.serverKey}}"], nested: { a: "7" } });
  });

  it("takes the signature from a body field when the header is absent", () => {
    const withField = `${form}&signature=${formSignature}`;
    expectOk(verify({ ...formInput, rawBody: withField, headers: { "content-type": "application/x-www-form-urlencoded" } }), "12345678:1");
  });

  it("rejects a tampered field, a tampered signature, a wrong VA and a missing signature", () => {
    for (const field of ["total=100000", "status=berhasil", "trx_id=12345678", "url=https%3A%2F%2Fyour"]) {
      const at = form.indexOf(field) + field.length - 1;
      expectRejected(verify({ ...formInput, rawBody: flip(form, at) }), /^signature does not match$/);
    }
    for (const at of [json.indexOf("98765") + 2, json.indexOf("Dewi"), json.indexOf("ipaymu")]) {
      expectRejected(verify({ ...jsonInput, rawBody: flip(json, at) }), /^signature does not match$/);
    }
    expectRejected(verify(withHeader(formInput, "x-signature", flip(formSignature, 10))), /^signature does not match$/, [formSignature]);
    expectRejected(verify({ ...formInput, secrets: { webhookSecret: "654321" } }), /^signature does not match$/);
    expectRejected(verify(withHeader(formInput, "x-signature", undefined)), /^missing X-Signature header$/);
  });
});

describe("meta_hub_signature (documented formula) and metaChallenge", () => {
  // X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>; Meta escapes
  // non-ASCII in payloads, and the raw bytes are what is signed. Expected value: Python hmac.
  const appSecret = "3f1a9c0e5b7d2a4c6e8f0a1b2c3d4e5f";
  const body =
    '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","messages":[{"from":"6281234567890","id":"wamid.HBgM","text":{"body":"Halo, kamar 12 \\u00e9"},"type":"text"}]},"field":"messages"}]}]}';
  const signature = "sha256=8722f6e9fe3407f695a61d9f9f51cfdfa50b27265aa50568293d1651fedd4ec7";
  const input = request({ rawBody: body, headers: { "x-hub-signature-256": signature }, secrets: { appSecret } });
  const verify = verifiers.meta_hub_signature;

  it("accepts the signed payload", () => {
    expectOk(verify(input));
  });

  it("with prefix \"\", checks a bare hex HMAC in the header the params name (generic HMAC pushes)", () => {
    const bare = { ...input, headers: { "x-signature": signature.slice(7) }, params: { header: "X-Signature", prefix: "" } };
    expectOk(verify(bare));
    expectRejected(verify({ ...bare, headers: { "x-signature": signature } }), /^signature does not match$/);
  });

  it("rejects a tampered body byte, a tampered signature, a wrong secret, a bare hex value and a missing header", () => {
    for (const at of positions(body)) expectRejected(verify({ ...input, rawBody: flip(body, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "x-hub-signature-256", flip(signature, 30))), /^signature does not match$/, [signature.slice(7)]);
    expectRejected(verify({ ...input, secrets: { appSecret: "0".repeat(32) } }), /^signature does not match$/, [appSecret]);
    expectRejected(verify(withHeader(input, "x-hub-signature-256", signature.slice(7))), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "x-hub-signature-256", undefined)), /^missing X-Hub-Signature-256 header$/);
  });

  it("answers the subscription handshake only for the right token", () => {
    const query = { "hub.mode": "subscribe", "hub.verify_token": "sambung-verify-7f3a", "hub.challenge": "1158201444" };
    expect(metaChallenge(query, "sambung-verify-7f3a")).toEqual({ ok: true, challenge: "1158201444" });
    expect(metaChallenge(query, "sambung-verify-7f3b")).toEqual({ ok: false, reason: "hub.verify_token does not match" });
    expect(metaChallenge({ ...query, "hub.mode": "unsubscribe" }, "sambung-verify-7f3a").ok).toBe(false);
    expect(metaChallenge({ "hub.mode": "subscribe", "hub.verify_token": "sambung-verify-7f3a" }, "sambung-verify-7f3a")).toEqual({ ok: false, reason: "missing hub.challenge" });
    expect(metaChallenge(query, "").ok).toBe(false);
  });
});

describe("mailgun_signature (documented formula)", () => {
  // hex HMAC-SHA256(webhook signing key, timestamp + token); token and timestamp from the
  // docs' example (documentation.mailgun.com ... /securing-webhooks). Expected values: Python hmac.
  const key = "key-7c6b2f1e0d9a8b7c6d5e4f3a2b1c0d9e";
  const timestamp = "1770920772";
  const token = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123";
  const signature = "23476db7c33dd6ca9cee6092f1e5fcab51aaea5224a586007d908ef565db16bb";
  const parentSignature = "ca4196a6d81077f869ddcca7746016e9015b2e7dcc04b547e64eb4528d99970b";
  const json = (sig: Record<string, string>) => JSON.stringify({ signature: sig, "event-data": { id: "CPgfbmQMTCKtHW6uIWtuVe", event: "delivered", recipient: "tamu@example.com" } });
  const jsonInput = request({ rawBody: json({ timestamp, token, signature }), headers: { "content-type": "application/json" }, secrets: { webhookSigningKey: key } });
  const verify = verifiers.mailgun_signature;

  it("accepts JSON, form-encoded and multipart webhooks, and a subaccount's parent-signature", () => {
    expectOk(verify(jsonInput), "CPgfbmQMTCKtHW6uIWtuVe");
    const form = new URLSearchParams({ event: "delivered", recipient: "tamu@example.com", timestamp, token, signature }).toString();
    expectOk(verify(request({ rawBody: form, headers: { "content-type": "application/x-www-form-urlencoded" }, secrets: { webhookSigningKey: key } })));
    const boundary = "----mgboundary42";
    const multipart = [["timestamp", timestamp], ["token", token], ["signature", signature], ["subject", "Re: booking"]]
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join("");
    expectOk(verify(request({ rawBody: `${multipart}--${boundary}--\r\n`, headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, secrets: { webhookSigningKey: key } })));
    const parent = { ...jsonInput, rawBody: json({ timestamp, token, signature: "0".repeat(64), "parent-signature": parentSignature }), secrets: { webhookSigningKey: "key-parent-account-0000000000000000" } };
    expectOk(verify(parent), "CPgfbmQMTCKtHW6uIWtuVe");
  });

  it("rejects a tampered token, timestamp or signature, a wrong key, a stale timestamp and a missing signature", () => {
    expectRejected(verify({ ...jsonInput, rawBody: json({ timestamp, token: flip(token, 0), signature }) }), /^signature does not match$/);
    expectRejected(verify({ ...jsonInput, rawBody: json({ timestamp: "1770920773", token, signature }) }), /^signature does not match$/);
    expectRejected(verify({ ...jsonInput, rawBody: json({ timestamp, token, signature: flip(signature, 63) }) }), /^signature does not match$/, [signature]);
    expectRejected(verify({ ...jsonInput, secrets: { webhookSigningKey: "key-0000" } }), /^signature does not match$/, [key]);
    expectRejected(verify({ ...jsonInput, params: { toleranceSeconds: 300 }, nowMs: 1_770_921_073_000 }), /^timestamp outside the 300 s tolerance$/);
    expectOk(verify({ ...jsonInput, params: { toleranceSeconds: 300 }, nowMs: 1_770_921_000_000 }), "CPgfbmQMTCKtHW6uIWtuVe");
    expectRejected(verify({ ...jsonInput, rawBody: json({ timestamp, token }) }), /^missing signature$/);
    expectRejected(verify({ ...jsonInput, rawBody: "{}" }), /^missing signature object$/);
  });
});

describe("shopee_signature (documented formula)", () => {
  // Authorization = hex HMAC-SHA256(partner key, callback URL + "|" + body). Expected value: Python hmac.
  const partnerKey = "4f415055726e715a63554872747673427a5373646244726e5841694874587666";
  const url = "https://hub.example.co.id/webhook/marketplace/shopee";
  const body = '{"data":{"ordersn":"2301240ABCDEF","status":"READY_TO_SHIP","update_time":1674540000},"shop_id":123456,"code":3,"timestamp":1674540001}';
  const signature = "a4e3939d4be86c746379b173949ccb74074713be369828aea21b7c26314a3173";
  const input = request({ url, rawBody: body, headers: { authorization: signature }, secrets: { partnerKey } });
  const verify = verifiers.shopee_signature;

  it("accepts the signed push, also with the registered URL given in params", () => {
    expectOk(verify(input));
    expectOk(verify({ ...input, url: "http://10.0.0.5:3000/webhook/marketplace/shopee", params: { url } }));
  });

  it("rejects a tampered body byte, a tampered signature, a wrong key, another URL and a missing header", () => {
    for (const at of positions(body)) expectRejected(verify({ ...input, rawBody: flip(body, at) }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "authorization", flip(signature, 0))), /^signature does not match$/, [signature]);
    expectRejected(verify({ ...input, secrets: { partnerKey: "0".repeat(64) } }), /^signature does not match$/, [partnerKey]);
    expectRejected(verify({ ...input, url: `${url}?x=1` }), /^signature does not match$/);
    expectRejected(verify(withHeader(input, "authorization", undefined)), /^missing Authorization header$/);
  });
});

describe("xendit_callback_token", () => {
  const token = "xnd_callback_9aF3kLm2Qp7Rs8Tv0WxYz1Bc";
  const input = request({ rawBody: '{"id":"inv_1","status":"PAID"}', headers: { "x-callback-token": token, "webhook-id": "wh_123" }, secrets: { webhookSecret: token } });
  const verify = verifiers.xendit_callback_token;

  it("accepts the configured token and rejects any other, a changed byte, and a missing header", () => {
    expectOk(verify(input), "wh_123");
    expectRejected(verify(withHeader(input, "x-callback-token", flip(token, 10))), /^callback token does not match$/, [token]);
    expectRejected(verify(withHeader(input, "x-callback-token", `${token}x`)), /^callback token does not match$/, [token]);
    expectRejected(verify({ ...input, secrets: { webhookSecret: "xnd_other_token_000000" } }), /^callback token does not match$/, [token]);
    expectRejected(verify(withHeader(input, "x-callback-token", undefined)), /^missing x-callback-token header$/);
    expectRejected(verify({ ...input, secrets: {} }), /not configured/);
  });
});

describe("postmark_basic_auth", () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const input = request({
    rawBody: '{"RecordType":"Delivery","MessageID":"00000000-0000-0000-0000-000000000000"}',
    headers: { authorization: basic("postmark", "s3cr3t:with-colon") },
    secrets: { webhookUsername: "postmark", webhookPassword: "s3cr3t:with-colon" },
  });
  const verify = verifiers.postmark_basic_auth;

  it("accepts the configured credentials, the username also as a plain param", () => {
    expectOk(verify(input));
    expectOk(verify({ ...input, secrets: { webhookPassword: "s3cr3t:with-colon" }, params: { username: "postmark" } }));
  });

  it("rejects a wrong password or user, other schemes, a missing header and missing configuration", () => {
    expectRejected(verify(withHeader(input, "authorization", basic("postmark", "s3cr3t:with-colom"))), /^credentials do not match$/, ["s3cr3t:with-colon"]);
    expectRejected(verify(withHeader(input, "authorization", basic("postmarc", "s3cr3t:with-colon"))), /^credentials do not match$/);
    expectRejected(verify(withHeader(input, "authorization", "Bearer abc")), /not Basic credentials/);
    expectRejected(verify(withHeader(input, "authorization", undefined)), /^missing Authorization header$/);
    expectRejected(verify({ ...input, secrets: {} }), /not configured/);
  });
});
