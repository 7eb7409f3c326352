import type { ProviderView } from "@sambung/core/provider/record";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HCAPTCHA_TEST, RECAPTCHA_TEST, startHcaptchaFake, startRecaptchaFake, startTurnstileFake, TURNSTILE_TEST } from "../fakes/captcha.ts";
import { closedPortUrl, type HttpFake } from "../fakes/server.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * Issue #9, captcha: POST /api/v1/captcha/verify with an API key, answered through
 * the mapped provider's documented siteverify request (Turnstile JSON, hCaptcha and
 * reCAPTCHA form-encoded), using the vendors' published test keys.
 */

let hub: TestRuntime;
let key: string;
let turnstile: HttpFake;
let hcaptcha: HttpFake;
let recaptcha: HttpFake;

interface Verdict {
  success: boolean;
  score?: number;
  action?: string;
  hostname?: string;
  errors: string[];
  provider: string;
}

async function provider(input: { name: string; presetId: string; apiFormat: string; url: string; secretKey: string; config?: Record<string, unknown> }): Promise<ProviderView> {
  const created = await hub.api<ProviderView>("POST", "/api/admin/providers", {
    type: "captcha",
    name: input.name,
    presetId: input.presetId,
    apiFormat: input.apiFormat,
    baseUrl: input.url,
    sandboxBaseUrl: input.url,
    secrets: { secretKey: input.secretKey },
    ...(input.config ? { config: input.config } : {}),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function verify<T = Verdict>(body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${hub.url}/api/v1/captcha/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const mapped: Record<string, ProviderView> = {};

beforeAll(async () => {
  [hub, turnstile, hcaptcha, recaptcha] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startTurnstileFake({ secretKey: "0x4AAAAAAA-real-secret", validTokens: [] }),
    startHcaptchaFake({ secretKey: "0x-hcaptcha-real-secret" }),
    startRecaptchaFake({ secretKey: "6Lc-recaptcha-secret-0001", validTokens: ["tok-human", "tok-bot"], scores: { "tok-human": 0.9, "tok-bot": 0.1 }, action: "booking" }),
  ]);
  const providers = {
    "captcha.turnstile_pass": await provider({ name: "Turnstile passes", presetId: "cloudflare-turnstile", apiFormat: "turnstile", url: turnstile.url, secretKey: TURNSTILE_TEST.alwaysPasses }),
    "captcha.turnstile_fail": await provider({ name: "Turnstile fails", presetId: "cloudflare-turnstile", apiFormat: "turnstile", url: turnstile.url, secretKey: TURNSTILE_TEST.alwaysFails }),
    "captcha.turnstile_spent": await provider({ name: "Turnstile spent", presetId: "cloudflare-turnstile", apiFormat: "turnstile", url: turnstile.url, secretKey: TURNSTILE_TEST.tokenSpent }),
    "captcha.hcaptcha": await provider({ name: "hCaptcha test keys", presetId: "hcaptcha", apiFormat: "hcaptcha", url: hcaptcha.url, secretKey: HCAPTCHA_TEST.secret, config: { siteKey: HCAPTCHA_TEST.siteKey } }),
    "captcha.recaptcha": await provider({ name: "reCAPTCHA v3", presetId: "recaptcha-v3", apiFormat: "recaptcha_v3", url: recaptcha.url, secretKey: "6Lc-recaptcha-secret-0001" }),
    "captcha.recaptcha_test": await provider({ name: "reCAPTCHA test key", presetId: "recaptcha-v3", apiFormat: "recaptcha_v3", url: recaptcha.url, secretKey: RECAPTCHA_TEST.secret }),
    "captcha.down": await provider({ name: "Turnstile down", presetId: "cloudflare-turnstile", apiFormat: "turnstile", url: await closedPortUrl(), secretKey: TURNSTILE_TEST.alwaysPasses }),
  };
  Object.assign(mapped, providers);
  const mappings = Object.entries(providers).map(([featureKey, found]) => ({ featureKey, primaryProviderId: found.id }));
  expect((await hub.api("PUT", "/api/admin/features", { mappings })).status).toBe(200);
  const created = await hub.api<{ key: string }>("POST", "/api/admin/api-keys", { name: "booking site", scopes: ["captcha"] });
  key = created.body.key;
});

afterAll(async () => {
  await Promise.all([turnstile?.close(), hcaptcha?.close(), recaptcha?.close()]);
  await hub?.close();
});

describe("Turnstile (JSON siteverify)", () => {
  it("passes with the always-passes test secret, sending secret, token and the visitor's IP as JSON", async () => {
    const { status, body } = await verify({ featureKey: "captcha.turnstile_pass", token: TURNSTILE_TEST.dummyToken, remoteIp: "203.0.113.7" });
    expect(status).toBe(200);
    expect(body).toEqual({ success: true, hostname: "hotel.example", challengeTs: expect.any(String), errors: [], provider: mapped["captcha.turnstile_pass"]?.slug });
    const sent = turnstile.requests.at(-1);
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.fields).toEqual({ secret: TURNSTILE_TEST.alwaysPasses, response: TURNSTILE_TEST.dummyToken, remoteip: "203.0.113.7" });
  });

  it("fails with the always-fails test secret and reports a spent token", async () => {
    const failed = await verify({ featureKey: "captcha.turnstile_fail", token: TURNSTILE_TEST.dummyToken });
    expect(failed.body).toEqual({ success: false, errors: ["invalid-input-response"], provider: mapped["captcha.turnstile_fail"]?.slug });
    expect(turnstile.requests.at(-1)?.fields).not.toHaveProperty("remoteip");
    const spent = await verify({ featureKey: "captcha.turnstile_spent", token: TURNSTILE_TEST.dummyToken });
    expect(spent.body).toMatchObject({ success: false, errors: ["timeout-or-duplicate"] });
  });
});

describe("hCaptcha (form-encoded siteverify)", () => {
  it("passes the test passcode with the test secret, form-encoded with the site key", async () => {
    const { status, body } = await verify({ featureKey: "captcha.hcaptcha", token: HCAPTCHA_TEST.passcode, remoteIp: "2001:db8::1" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, hostname: "hotel.example", errors: [] });
    const sent = hcaptcha.requests.at(-1);
    expect(sent?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(sent?.body))).toEqual({ secret: HCAPTCHA_TEST.secret, response: HCAPTCHA_TEST.passcode, remoteip: "2001:db8::1", sitekey: HCAPTCHA_TEST.siteKey });
  });

  it("fails any other passcode with the test secret", async () => {
    const { body } = await verify({ featureKey: "captcha.hcaptcha", token: "P1_eyJ0eXAiOiJKV1Qi.forged" });
    expect(body).toMatchObject({ success: false, errors: ["not-using-dummy-passcode"] });
  });
});

describe("reCAPTCHA v3 (form-encoded siteverify, scored)", () => {
  it("passes a human score at or above config.minScore, with score and action", async () => {
    const { body } = await verify({ featureKey: "captcha.recaptcha", token: "tok-human" });
    expect(body).toMatchObject({ success: true, score: 0.9, action: "booking", hostname: "hotel.example", errors: [] });
    expect(recaptcha.requests.at(-1)?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });

  it("fails a low score with score-too-low, though the vendor said success", async () => {
    const { body } = await verify({ featureKey: "captcha.recaptcha", token: "tok-bot" });
    expect(body).toEqual({ success: false, score: 0.1, action: "booking", hostname: "hotel.example", challengeTs: expect.any(String), errors: ["score-too-low"], provider: mapped["captcha.recaptcha"]?.slug });
  });

  it("fails an unknown token, and passes any token with Google's test secret (unscored)", async () => {
    expect((await verify({ featureKey: "captcha.recaptcha", token: "tok-forged" })).body).toMatchObject({ success: false, errors: ["invalid-input-response"] });
    const test = await verify({ featureKey: "captcha.recaptcha_test", token: "anything" });
    expect(test.body).toMatchObject({ success: true, hostname: "testkey.google.com", errors: [] });
    expect(test.body).not.toHaveProperty("score");
  });
});

describe("malformed input and unreachable providers", () => {
  it("answers 400 naming the field for a missing token, a bad IP, a bad or unmapped feature key", async () => {
    const cases: [unknown, string][] = [
      [{ featureKey: "captcha.turnstile_pass" }, "body.token"],
      [{ featureKey: "captcha.turnstile_pass", token: "   " }, "send the token the captcha widget gave the visitor"],
      [{ featureKey: "captcha.turnstile_pass", token: "t", remoteIp: "not-an-ip" }, "body.remoteIp"],
      [{ featureKey: "Captcha", token: "t" }, "body.featureKey"],
      [{ featureKey: "captcha.nothing_here", token: "t" }, "no provider mapped for feature captcha.nothing_here"],
    ];
    for (const [body, words] of cases) {
      const answer = await verify<{ error: { message: string } }>(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.message).toContain(words);
    }
    const noJson = await fetch(`${hub.url}/api/v1/captcha/verify`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: "{token" });
    expect(noJson.status).toBe(400);
  });

  it("answers 502 with the pipeline's words when the provider cannot be reached", async () => {
    const { status, body } = await verify<{ error: { code: string; message: string; providers: unknown[] } }>({ featureKey: "captcha.down", token: "t" });
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: "provider_failed", providers: [{ provider: mapped["captcha.down"]?.slug, role: "primary", outcome: "unreachable" }] });
    expect(body.error.message).toContain("refused the connection");
  });
});
