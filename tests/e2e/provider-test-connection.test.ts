import type { LastTest, ProviderView } from "@sambung/core/provider/record";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnthropicFake, startGeminiFake, startOpenAiFake } from "../fakes/ai.ts";
import { startHcaptchaFake, startRecaptchaFake, startTurnstileFake } from "../fakes/captcha.ts";
import { startMailgunFake, startPostmarkFake, startResendFake, startSendGridFake, startSesFake, startSmtpFake } from "../fakes/mail.ts";
import { start360dialogFake, startMetaGraphFake, startTwilioFake, startWatiFake } from "../fakes/messaging.ts";
import { startMidtransFake, startStripeFake, startXenditFake } from "../fakes/gateways/index.ts";
import { startS3Fake } from "../fakes/s3.ts";
import { closedPortUrl, startSilentFake, type Fake } from "../fakes/server.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * Issue #3, "test connection": POST /api/admin/providers/{id}/test runs the format's
 * check against simulated providers over real HTTP, and stores status, time and message.
 */

let hub: TestRuntime;
const fakes: Fake[] = [];

async function fake<T extends Fake>(started: Promise<T>): Promise<T> {
  const running = await started;
  fakes.push(running);
  return running;
}

beforeAll(async () => {
  hub = await startTestRuntime({ allowPrivateUrls: true });
});

afterAll(async () => {
  await Promise.all(fakes.map((running) => running.close()));
  await hub?.close();
});

interface NewProvider {
  type: string;
  apiFormat: string;
  presetId?: string;
  baseUrl: string;
  secrets: Record<string, string>;
  config?: Record<string, unknown>;
  headers?: Record<string, string>;
}

let counter = 0;

/** Creates a provider pointed at a fake: both base URLs go to it, whatever mode the record is in. */
async function createProvider(input: NewProvider): Promise<ProviderView> {
  counter += 1;
  const { status, body } = await hub.api<ProviderView>("POST", "/api/admin/providers", {
    name: `${input.presetId ?? input.apiFormat} ${counter}`,
    sandboxBaseUrl: input.baseUrl,
    ...input,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

async function runTest(id: string): Promise<LastTest> {
  const { status, body } = await hub.api<LastTest>("POST", `/api/admin/providers/${id}/test`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function update(id: string, patch: Record<string, unknown>): Promise<ProviderView> {
  const { status, body } = await hub.api<ProviderView>("PATCH", `/api/admin/providers/${id}`, patch);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function stored(id: string): Promise<ProviderView> {
  const { status, body } = await hub.api<ProviderView>("GET", `/api/admin/providers/${id}`);
  expect(status).toBe(200);
  return body;
}

/** Good key → ok with `okMessage`; wrong key → failed with `badMessage`; both stored as lastTest; no secret in any message. */
async function roundTrip(input: NewProvider, expected: { ok: string | RegExp; wrongSecrets: Record<string, string>; failed: string | RegExp }): Promise<ProviderView> {
  const provider = await createProvider(input);
  expect(provider.lastTest).toEqual({ status: "never" });

  const good = await runTest(provider.id);
  expect(good, good.message).toMatchObject({ status: "ok" });
  expect(good.message).toEqual(typeof expected.ok === "string" ? expected.ok : expect.stringMatching(expected.ok));
  expect(good.at).toBe(new Date(hub.clock.now()).toISOString());
  expect(good.latencyMs).toEqual(expect.any(Number));

  await update(provider.id, { secrets: expected.wrongSecrets });
  const bad = await runTest(provider.id);
  expect(bad.status, bad.message).toBe("failed");
  expect(bad.message).toEqual(typeof expected.failed === "string" ? expected.failed : expect.stringMatching(expected.failed));

  const after = await stored(provider.id);
  expect(after.lastTest).toEqual({ status: "failed", at: expect.any(String), message: bad.message, latencyMs: expect.any(Number) });
  expect(Number.isNaN(Date.parse(after.lastTest.at ?? ""))).toBe(false);
  for (const secret of [...Object.values(input.secrets), ...Object.values(expected.wrongSecrets)]) {
    expect(good.message).not.toContain(secret);
    expect(bad.message).not.toContain(secret);
  }
  return after;
}

const BAD_KEY_401 = /^bad key: the provider refused the credentials \(401\)/;

describe("AI: list models", () => {
  it("OpenAI-compatible: GET /models with a Bearer key", async () => {
    const openai = await fake(startOpenAiFake({ apiKey: "sk-proj-good-0001", models: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"] }));
    await roundTrip(
      { type: "ai", apiFormat: "openai_compatible", presetId: "openai", baseUrl: `${openai.url}/v1`, secrets: { apiKey: "sk-proj-good-0001" } },
      { ok: "✓ 3 models available", wrongSecrets: { apiKey: "sk-proj-wrong-0002" }, failed: BAD_KEY_401 },
    );
    expect(openai.requests.at(-1)?.headers.authorization).toBe("Bearer sk-proj-wrong-0002");
  });

  it("Anthropic: GET /v1/models with x-api-key and the preset's anthropic-version", async () => {
    const anthropic = await fake(startAnthropicFake({ apiKey: "sk-ant-good-0001", models: ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"] }));
    await roundTrip(
      { type: "ai", apiFormat: "anthropic", presetId: "anthropic", baseUrl: anthropic.url, secrets: { apiKey: "sk-ant-good-0001" } },
      { ok: "✓ 3 models available", wrongSecrets: { apiKey: "sk-ant-wrong-0002" }, failed: "bad key: the provider refused the credentials (401): invalid x-api-key (authentication_error)" },
    );
    expect(anthropic.requests[0]?.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("Gemini: GET /v1beta/models with x-goog-api-key; a bad key is Gemini's 400 API_KEY_INVALID", async () => {
    const gemini = await fake(startGeminiFake({ apiKey: "AIza-good-0001", models: ["gemini-2.5-flash", "gemini-2.5-pro"] }));
    await roundTrip(
      { type: "ai", apiFormat: "gemini", presetId: "google-gemini", baseUrl: `${gemini.url}/v1beta`, secrets: { apiKey: "AIza-good-0001" } },
      {
        ok: "✓ 2 models available",
        wrongSecrets: { apiKey: "AIza-wrong-0002" },
        failed: /^bad key: the provider refused the credentials \(400\): API key not valid/,
      },
    );
  });

  it("notes a default model the key cannot see", async () => {
    const openai = await fake(startOpenAiFake({ apiKey: "sk-proj-good-0003", models: ["gpt-4.1"] }));
    const provider = await createProvider({ type: "ai", apiFormat: "openai_compatible", presetId: "openai", baseUrl: `${openai.url}/v1`, secrets: { apiKey: "sk-proj-good-0003" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "ok", message: '✓ 1 model available; the default model "gpt-4o-mini" is not among them' });
  });
});

describe("payment: the read-only equivalent from the preset's config.endpoints.test", () => {
  it("Midtrans Snap: GET /v2/{made-up order}/status on the Core API host answers 404 in the body", async () => {
    const midtrans = await fake(startMidtransFake({ serverKey: "SB-Mid-server-good0001" }));
    await roundTrip(
      {
        type: "payment",
        apiFormat: "redirect_flow",
        presetId: "midtrans-snap",
        baseUrl: midtrans.url,
        secrets: { serverKey: "SB-Mid-server-good0001" },
        config: { hosts: { api: { production: midtrans.url, sandbox: midtrans.url } } },
      },
      {
        ok: '✓ credentials accepted; a status lookup of a made-up order answered "not found", as expected',
        wrongSecrets: { serverKey: "SB-Mid-server-wrong0002" },
        failed: "bad key: the provider refused the credentials (401): Unknown Merchant server_key/id",
      },
    );
    const probe = midtrans.requests[0];
    expect(probe?.path).toMatch(/^\/v2\/sambung-check-[0-9a-f-]+\/status$/);
    expect(probe?.headers.authorization).toBe(`Basic ${Buffer.from("SB-Mid-server-good0001:").toString("base64")}`);
  });

  it("Midtrans Core API QRIS: same request on the record's own base URL", async () => {
    const midtrans = await fake(startMidtransFake({ serverKey: "SB-Mid-server-good0003" }));
    await roundTrip(
      { type: "payment", apiFormat: "qris_dynamic", presetId: "midtrans-core-qris", baseUrl: midtrans.url, secrets: { serverKey: "SB-Mid-server-good0003" } },
      {
        ok: /^✓ credentials accepted/,
        wrongSecrets: { serverKey: "SB-Mid-server-wrong0004" },
        failed: /^bad key: the provider refused the credentials \(401\)/,
      },
    );
  });

  it("Stripe: GET /v1/balance with the Bearer secret key", async () => {
    const stripe = await fake(startStripeFake({ secretKey: "sk_test_good51Habc0001" }));
    await roundTrip(
      { type: "payment", apiFormat: "embed_flow", presetId: "stripe-payment-intents", baseUrl: stripe.url, secrets: { secretKey: "sk_test_good51Habc0001" } },
      { ok: "✓ credentials accepted; the balance is readable", wrongSecrets: { secretKey: "sk_test_wrong51Habc0002" }, failed: /^bad key: the provider refused the credentials \(401\): Invalid API Key provided/ },
    );
  });

  it("Xendit: GET /balance?account_type=CASH with Basic(secret key)", async () => {
    const xendit = await fake(startXenditFake({ secretKey: "xnd_development_good0001", balance: 250000 }));
    await roundTrip(
      { type: "payment", apiFormat: "redirect_flow", presetId: "xendit-invoice", baseUrl: xendit.url, secrets: { serverKey: "xnd_development_good0001" } },
      {
        ok: "✓ credentials accepted; cash balance 250000",
        wrongSecrets: { serverKey: "xnd_development_wrong0002" },
        failed: "bad key: the provider refused the credentials (401): API key is invalid (INVALID_API_KEY)",
      },
    );
    expect(xendit.requests[0]?.query.get("account_type")).toBe("CASH");
  });

  it("says so when a record has no read-only request configured", async () => {
    const stripe = await fake(startStripeFake({ secretKey: "sk_test_nocheck0001" }));
    const provider = await createProvider({ type: "payment", apiFormat: "direct_charge", baseUrl: stripe.url, secrets: { secretKey: "sk_test_nocheck0001" } });
    const result = await runTest(provider.id);
    expect(result).toMatchObject({ status: "failed", message: expect.stringMatching(/^no connection check is set up for this provider yet.*the record was saved$/) });
    expect(stripe.requests).toHaveLength(0);
  });
});

describe("SMS and WhatsApp", () => {
  const sid = "AC0123456789abcdef0123456789abcdef";

  it("Twilio SMS (rest_simple): the preset's Balance.json with Basic(AccountSid:AuthToken)", async () => {
    const twilio = await fake(startTwilioFake({ accountSid: sid, authToken: "twilio-token-good-0001", balance: "42.10" }));
    await roundTrip(
      { type: "sms", apiFormat: "rest_simple", presetId: "twilio-sms", baseUrl: twilio.url, secrets: { apiKey: sid, apiSecret: "twilio-token-good-0001" } },
      { ok: "✓ credentials accepted; balance 42.10 USD", wrongSecrets: { apiSecret: "twilio-token-wrong-0002" }, failed: "bad key: the provider refused the credentials (401): Authenticate (20003)" },
    );
    expect(twilio.requests[0]?.path).toBe(`/2010-04-01/Accounts/${sid}/Balance.json`);
  });

  it("Meta Cloud API: GET /{version}/{phone-number-id} with the Bearer token", async () => {
    const graph = await fake(
      startMetaGraphFake({
        accessToken: "EAAG-good-token-0001",
        phoneNumbers: { "106540352242922": { display_phone_number: "+62 811-2345-678", verified_name: "Hotel Sambung", quality_rating: "GREEN" } },
      }),
    );
    const provider = await roundTrip(
      {
        type: "whatsapp",
        apiFormat: "meta_cloud_api",
        presetId: "meta-cloud-api",
        baseUrl: graph.url,
        secrets: { accessToken: "EAAG-good-token-0001" },
        config: { phoneNumberId: "106540352242922" },
      },
      {
        ok: "✓ phone number +62 811-2345-678 (Hotel Sambung) is reachable; quality GREEN",
        wrongSecrets: { accessToken: "EAAG-wrong-token-0002" },
        failed: /^bad key: the provider refused the credentials \(401\): Invalid OAuth access token/,
      },
    );
    expect(graph.requests[0]?.path).toBe("/v25.0/106540352242922");

    await update(provider.id, { secrets: { accessToken: "EAAG-good-token-0001" }, config: { ...provider.config, phoneNumberId: "999" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "phone number ID 999 was not found for this access token; check config.phoneNumberId" });

    await update(provider.id, { config: { ...provider.config, phoneNumberId: "" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: expect.stringMatching(/^set the WhatsApp phone number ID/) });
  });

  it("Twilio WhatsApp: fetches the account", async () => {
    const twilio = await fake(startTwilioFake({ accountSid: sid, authToken: "twilio-token-good-0003", friendlyName: "Villa Ubud" }));
    await roundTrip(
      { type: "whatsapp", apiFormat: "twilio_whatsapp", presetId: "twilio-whatsapp", baseUrl: twilio.url, secrets: { accountSid: sid, authToken: "twilio-token-good-0003" } },
      { ok: '✓ account "Villa Ubud" is active', wrongSecrets: { authToken: "twilio-token-wrong-0004" }, failed: BAD_KEY_401 },
    );
  });

  it("360dialog: GET /v1/configs/webhook with D360-API-KEY", async () => {
    const dialog = await fake(start360dialogFake({ apiKey: "d360-good-key-0001", webhookUrl: "https://hub.example/webhook/whatsapp/x" }));
    await roundTrip(
      { type: "whatsapp", apiFormat: "360dialog", presetId: "360dialog", baseUrl: dialog.url, secrets: { apiKey: "d360-good-key-0001" } },
      { ok: "✓ API key accepted; a webhook is configured", wrongSecrets: { apiKey: "d360-wrong-key-0002" }, failed: "bad key: the provider refused the credentials (401): Invalid api_key" },
    );
  });

  it("WATI: GET /{tenantId}/api/v1/getContacts with the Bearer token (pasted with its Bearer prefix)", async () => {
    const wati = await fake(startWatiFake({ accessToken: "eyWATI-good-0001", tenantId: "123456" }));
    await roundTrip(
      { type: "whatsapp", apiFormat: "wati", presetId: "wati", baseUrl: wati.url, secrets: { accessToken: "Bearer eyWATI-good-0001" }, config: { tenantId: "123456" } },
      { ok: "✓ access token accepted", wrongSecrets: { accessToken: "eyWATI-wrong-0002" }, failed: "bad key: the provider refused the credentials (401)" },
    );
  });
});

describe("mail", () => {
  it("SMTP: handshake with AUTH against a real SMTP server", async () => {
    const smtp = await fake(startSmtpFake({ username: "frontdesk@hotel.example", password: "smtp-pass-good-0001" }));
    await roundTrip(
      {
        type: "mail",
        apiFormat: "smtp_generic",
        presetId: "smtp-generic",
        baseUrl: smtp.url,
        secrets: { username: "frontdesk@hotel.example", password: "smtp-pass-good-0001" },
        config: { host: smtp.host, port: smtp.port, secure: false, requireTLS: false },
      },
      {
        ok: `✓ SMTP server 127.0.0.1:${smtp.port} accepted the login`,
        wrongSecrets: { password: "smtp-pass-wrong-0002" },
        failed: "bad key: the SMTP server refused the username or password (535)",
      },
    );
    expect(smtp.logins).toEqual(["frontdesk@hotel.example"]);
  });

  it("Postmark: GET /server with X-Postmark-Server-Token", async () => {
    const postmark = await fake(startPostmarkFake({ serverToken: "pm-server-token-good-0001", name: "Hotel Sambung" }));
    await roundTrip(
      { type: "mail", apiFormat: "postmark_api", presetId: "postmark", baseUrl: postmark.url, secrets: { serverToken: "pm-server-token-good-0001" } },
      {
        ok: '✓ server token accepted for server "Hotel Sambung"',
        wrongSecrets: { serverToken: "pm-server-token-wrong-0002" },
        failed: /^bad key: the provider refused the credentials \(401\): The Server Token you provided/,
      },
    );
  });

  it("SendGrid: GET /v3/scopes; the key must be allowed to send", async () => {
    const sendgrid = await fake(startSendGridFake({ apiKey: "SG.good-key-0001" }));
    await roundTrip(
      { type: "mail", apiFormat: "sendgrid_api", presetId: "sendgrid", baseUrl: sendgrid.url, secrets: { apiKey: "SG.good-key-0001" } },
      {
        ok: "✓ API key accepted; it may send mail",
        wrongSecrets: { apiKey: "SG.wrong-key-0002" },
        failed: /^bad key: the provider refused the credentials \(401\): authorization required; if the account is in another region \(global, eu\)/,
      },
    );
    const readOnly = await fake(startSendGridFake({ apiKey: "SG.read-only-0003", scopes: ["stats.read"] }));
    const provider = await createProvider({ type: "mail", apiFormat: "sendgrid_api", presetId: "sendgrid", baseUrl: readOnly.url, secrets: { apiKey: "SG.read-only-0003" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "the API key works but may not send mail: give it the Mail Send permission" });
  });

  it("Resend: GET /domains; a sending-only key passes", async () => {
    const resend = await fake(startResendFake({ apiKey: "re_good_full_0001", sendingOnlyKey: "re_good_send_0003" }));
    const provider = await roundTrip(
      { type: "mail", apiFormat: "resend_api", presetId: "resend", baseUrl: resend.url, secrets: { apiKey: "re_good_full_0001" } },
      { ok: "✓ API key accepted; 1 domain (1 verified)", wrongSecrets: { apiKey: "re_wrong_0002" }, failed: "bad key: the provider refused the credentials (403): API key is invalid (invalid_api_key)" },
    );
    await update(provider.id, { secrets: { apiKey: "re_good_send_0003" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "ok", message: "✓ API key accepted (a sending-only key)" });
  });

  it("Mailgun: GET /v3/domains/{domain} with Basic(api:key)", async () => {
    const mailgun = await fake(startMailgunFake({ apiKey: "key-good-0001", domain: "mg.hotel.example" }));
    const provider = await roundTrip(
      { type: "mail", apiFormat: "mailgun_api", presetId: "mailgun", baseUrl: mailgun.url, secrets: { apiKey: "key-good-0001" }, config: { domain: "mg.hotel.example" } },
      {
        ok: '✓ API key accepted; domain "mg.hotel.example" is active',
        wrongSecrets: { apiKey: "key-wrong-0002" },
        failed: "bad key: the provider refused the credentials (401): Forbidden; if the account is in another region (us, eu), use that region's base URL",
      },
    );
    await update(provider.id, { secrets: { apiKey: "key-good-0001" }, config: { ...provider.config, domain: "mg.other.example" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: 'the domain "mg.other.example" is not in this Mailgun account (or the account is in the other region)' });
  });

  it("Amazon SES: SES v2 GetAccount, SigV4-signed", async () => {
    const ses = await fake(startSesFake({ accessKeyId: "AKIAGOODKEY000000001", secretAccessKey: "ses-secret-good-0001", region: "ap-southeast-1" }));
    const provider = await roundTrip(
      {
        type: "mail",
        apiFormat: "ses_api",
        presetId: "amazon-ses",
        baseUrl: ses.url,
        secrets: { accessKeyId: "AKIAGOODKEY000000001", secretAccessKey: "ses-secret-good-0001" },
      },
      {
        ok: "✓ SES account reachable in ap-southeast-1: sending enabled, still in the SES sandbox (only verified addresses receive mail), 200 messages per 24 hours",
        wrongSecrets: { secretAccessKey: "ses-secret-wrong-0002" },
        failed: "bad key: the secret access key does not match the access key id (403)",
      },
    );
    await update(provider.id, { secrets: { accessKeyId: "AKIAUNKNOWN000000002", secretAccessKey: "ses-secret-good-0001" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "bad key: the provider does not know this access key id (403)" });

    await update(provider.id, { secrets: { accessKeyId: "AKIAGOODKEY000000001" }, config: { ...provider.config, region: "us-east-1" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: expect.stringMatching(/^wrong region: the endpoint does not accept requests signed for us-east-1/) });
  });
});

describe("storage", () => {
  it("S3-compatible: uploads and deletes a 1 KB object; wrong key, wrong region, missing bucket", async () => {
    const s3 = await fake(startS3Fake({ accessKeyId: "AKIAS3GOOD0000000001", secretAccessKey: "s3-secret-good-0001", region: "ap-southeast-3", bucket: "hotel-files" }));
    const config = { bucket: "hotel-files", region: "ap-southeast-3", forcePathStyle: true };
    const provider = await roundTrip(
      {
        type: "storage",
        apiFormat: "s3_compatible",
        presetId: "aws-s3",
        baseUrl: s3.url,
        secrets: { accessKeyId: "AKIAS3GOOD0000000001", secretAccessKey: "s3-secret-good-0001" },
        config,
      },
      {
        ok: `✓ uploaded and deleted a 1 KB test object in bucket "hotel-files" at ${new URL(s3.url).host}`,
        wrongSecrets: { secretAccessKey: "s3-secret-wrong-0002" },
        failed: "bad key: the secret access key does not match the access key id (403)",
      },
    );
    const put = s3.requests.find((request) => request.method === "PUT");
    expect(put?.path).toMatch(/^\/hotel-files\/sambung-connection-check\/[0-9a-f-]+\.txt$/);
    expect(put?.raw.length).toBe(1024);
    expect(s3.requests.some((request) => request.method === "DELETE" && request.path === put?.path)).toBe(true);
    expect(await s3.keys()).toEqual([]);

    await update(provider.id, { secrets: { accessKeyId: "AKIAS3UNKNOWN0000002", secretAccessKey: "s3-secret-good-0001" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "bad key: the provider does not know this access key id (403)" });

    await update(provider.id, { secrets: { accessKeyId: "AKIAS3GOOD0000000001" }, config: { ...provider.config, region: "us-east-1" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "wrong region: the bucket is in ap-southeast-3, not us-east-1; set config.region to ap-southeast-3" });

    await update(provider.id, { config: { ...provider.config, bucket: "no-such-bucket" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: `bucket "no-such-bucket" does not exist at ${new URL(s3.url).host}` });
  });
});

describe("captcha: a dummy token must be refused for the documented reason", () => {
  const cases = [
    { name: "Turnstile (JSON)", presetId: "cloudflare-turnstile", apiFormat: "turnstile", start: startTurnstileFake, secret: "0x4AAAAAAA-good-0001" },
    { name: "hCaptcha (form-encoded)", presetId: "hcaptcha", apiFormat: "hcaptcha", start: startHcaptchaFake, secret: "0x-hcaptcha-good-0001" },
    { name: "reCAPTCHA v3 (form-encoded)", presetId: "recaptcha-v3", apiFormat: "recaptcha_v3", start: startRecaptchaFake, secret: "6Lc-recaptcha-good-0001" },
  ] as const;

  for (const captcha of cases) {
    it(captcha.name, async () => {
      const server = await fake(captcha.start({ secretKey: captcha.secret }));
      await roundTrip(
        { type: "captcha", apiFormat: captcha.apiFormat, presetId: captcha.presetId, baseUrl: server.url, secrets: { secretKey: captcha.secret } },
        {
          ok: "✓ secret key accepted; the dummy token was refused as expected (invalid-input-response)",
          wrongSecrets: { secretKey: `${captcha.secret}-wrong` },
          failed: "bad key: the provider says the secret key is invalid (invalid-input-secret, invalid-input-response)",
        },
      );
    });
  }

  it("hCaptcha without a preset still sends a form", async () => {
    const server = await fake(startHcaptchaFake({ secretKey: "0x-hcaptcha-bare-0001" }));
    const provider = await createProvider({ type: "captcha", apiFormat: "hcaptcha", baseUrl: server.url, secrets: { secretKey: "0x-hcaptcha-bare-0001" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "ok" });
    expect(server.requests[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });
});

describe("transport failures, in words", () => {
  it("unreachable host", async () => {
    const provider = await createProvider({ type: "ai", apiFormat: "openai_compatible", presetId: "openai", baseUrl: `${await closedPortUrl()}/v1`, secrets: { apiKey: "sk-unreachable-0001" } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: "unreachable host: the connection was refused; check the base URL and port" });
  });

  it("timeout, with a per-request limit from config.timeoutMs", async () => {
    const silent = await fake(startSilentFake());
    const provider = await createProvider({
      type: "payment",
      apiFormat: "embed_flow",
      presetId: "stripe-payment-intents",
      baseUrl: silent.url,
      secrets: { secretKey: "sk_test_timeout0001" },
      config: { timeoutMs: 300 },
    });
    const started = Date.now();
    const result = await runTest(provider.id);
    expect(result).toMatchObject({ status: "failed", message: `timeout: no answer from ${new URL(silent.url).host} within 300 ms` });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await stored(provider.id)).lastTest).toMatchObject({ status: "failed", message: result.message });
  });

  it("SMTP: unreachable host and timeout", async () => {
    const closed = new URL(await closedPortUrl());
    const provider = await createProvider({
      type: "mail",
      apiFormat: "smtp_generic",
      baseUrl: `smtp://127.0.0.1:${closed.port}`,
      secrets: { username: "u", password: "smtp-pass-0001" },
      config: { host: "127.0.0.1", port: Number(closed.port), secure: false, timeoutMs: 300 },
    });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: `unreachable host: 127.0.0.1:${closed.port} refused the connection; check the host and port` });

    const silent = new URL((await fake(startSilentFake())).url);
    await update(provider.id, { config: { host: "127.0.0.1", port: Number(silent.port), secure: false, timeoutMs: 300 } });
    expect(await runTest(provider.id)).toMatchObject({ status: "failed", message: `timeout: 127.0.0.1:${silent.port} did not answer within 300 ms` });
  });
});

describe("a hub that does not allow private addresses", () => {
  it("refuses to aim a check at loopback or private hosts, SMTP included", async () => {
    const strict = await startTestRuntime();
    try {
      const openai = await fake(startOpenAiFake({ apiKey: "sk-proj-strict-0001", models: ["gpt-4o-mini"] }));
      const created = await strict.api<ProviderView>("POST", "/api/admin/providers", {
        type: "ai",
        name: "Internal",
        apiFormat: "openai_compatible",
        presetId: "openai",
        baseUrl: `${openai.url}/v1`,
        secrets: { apiKey: "sk-proj-strict-0001" },
      });
      expect(created.status).toBe(201);
      const tested = await strict.api<LastTest>("POST", `/api/admin/providers/${created.body.id}/test`);
      expect(tested.body).toMatchObject({ status: "failed", message: expect.stringMatching(/^blocked: 127\.0\.0\.1 is a loopback address; provider calls may only go to public addresses/) });
      expect(openai.requests).toHaveLength(0);

      const smtp = await strict.api<ProviderView>("POST", "/api/admin/providers", {
        type: "mail",
        name: "Internal SMTP",
        apiFormat: "smtp_generic",
        baseUrl: "smtp://mail.example.com:587",
        secrets: { username: "u", password: "smtp-strict-0001" },
        config: { host: "10.1.2.3", port: 25 },
      });
      const smtpTest = await strict.api<LastTest>("POST", `/api/admin/providers/${smtp.body.id}/test`);
      expect(smtpTest.body).toMatchObject({ status: "failed", message: expect.stringMatching(/^blocked: 10\.1\.2\.3 is a private address/) });
    } finally {
      await strict.close();
    }
  });
});
