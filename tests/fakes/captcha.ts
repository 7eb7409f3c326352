import { routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * Captcha siteverify endpoints, as documented. All answer HTTP 200 with
 * `{ success, "error-codes": [...] }`:
 * - Cloudflare Turnstile POST /turnstile/v0/siteverify, form-encoded or JSON; secret,
 *   response, remoteip; success adds challenge_ts, hostname, action, cdata
 *   (developers.cloudflare.com/turnstile/get-started/server-side-validation). Dummy
 *   secrets: 1x0000000000000000000000000000000AA always passes, 2x…AA always fails,
 *   3x…AA answers "token already spent" (developers.cloudflare.com/turnstile/troubleshooting/testing/).
 * - hCaptcha POST /siteverify, form-encoded only; secret, response, remoteip, sitekey;
 *   sitekey-secret-mismatch; Enterprise adds a risk score (docs.hcaptcha.com/#verify-the-user-response-server-side).
 *   Test keys: secret 0x0000000000000000000000000000000000000000 with the passcode
 *   10000000-aaaa-bbbb-cccc-000000000001 passes; any other passcode with that secret is
 *   not-using-dummy-passcode (docs.hcaptcha.com/#integration-testing-test-keys).
 * - reCAPTCHA POST /recaptcha/api/siteverify, form-encoded (developers.google.com/recaptcha/docs/verify);
 *   v3 adds score (1.0 likely human … 0.0 likely bot) and action (developers.google.com/recaptcha/docs/v3).
 *   The test secret 6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe passes every token, without a score
 *   (developers.google.com/recaptcha/docs/faq#id-like-to-run-automated-tests-with-recaptcha.-what-should-i-do).
 * Codes: missing-input-secret, invalid-input-secret, missing-input-response, invalid-input-response.
 */

export const TURNSTILE_TEST = {
  alwaysPasses: "1x0000000000000000000000000000000AA",
  alwaysFails: "2x0000000000000000000000000000000AA",
  tokenSpent: "3x0000000000000000000000000000000AA",
  dummyToken: "XXXX.DUMMY.TOKEN.XXXX",
};
export const HCAPTCHA_TEST = {
  siteKey: "10000000-ffff-ffff-ffff-000000000001",
  secret: "0x0000000000000000000000000000000000000000",
  passcode: "10000000-aaaa-bbbb-cccc-000000000001",
};
export const RECAPTCHA_TEST = { siteKey: "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI", secret: "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe" };

export interface CaptchaFakeOptions {
  secretKey: string;
  /** Tokens the fake accepts (as if a widget issued them). */
  validTokens?: string[];
  siteKey?: string;
  /** reCAPTCHA v3 score per token (default 0.9); for hCaptcha, an Enterprise risk score. */
  scores?: Record<string, number>;
  /** The action the widget was rendered with (Turnstile, reCAPTCHA v3). */
  action?: string;
}

type Fields = Record<string, unknown>;

const text = (value: unknown) => (typeof value === "string" ? value : "");

function verdict(fields: Fields, options: CaptchaFakeOptions, extra: (fields: Fields) => string[] = () => []): { ok: boolean; codes: string[]; token: string } {
  const secret = text(fields.secret);
  const token = text(fields.response);
  const codes: string[] = [];
  if (!secret) codes.push("missing-input-secret");
  else if (secret !== options.secretKey) codes.push("invalid-input-secret");
  if (!token) codes.push("missing-input-response");
  else if (!(options.validTokens ?? []).includes(token)) codes.push("invalid-input-response");
  if (codes.length === 0) codes.push(...extra(fields));
  return { ok: codes.length === 0, codes, token };
}

const refused = (codes: string[]): FakeResponse => ({ json: { success: false, "error-codes": codes } });

const formOnly = (request: FakeRequest): Fields =>
  (request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded") ? (request.fields ?? {}) : {};

export async function startTurnstileFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  const passed = (): FakeResponse => ({
    json: { success: true, challenge_ts: new Date().toISOString(), hostname: "hotel.example", "error-codes": [], action: options.action ?? "", cdata: "", messages: [] },
  });
  return startHttpFake(
    routes({
      "POST /turnstile/v0/siteverify": (request) => {
        const fields = request.fields ?? {};
        const secret = text(fields.secret);
        const token = text(fields.response);
        if (secret === TURNSTILE_TEST.alwaysPasses || secret === TURNSTILE_TEST.alwaysFails || secret === TURNSTILE_TEST.tokenSpent) {
          if (!token) return refused(["missing-input-response"]);
          if (secret === TURNSTILE_TEST.alwaysFails) return refused(["invalid-input-response"]);
          if (secret === TURNSTILE_TEST.tokenSpent) return refused(["timeout-or-duplicate"]);
          return passed();
        }
        const answer = verdict(fields, options);
        return answer.ok ? passed() : { json: { success: false, "error-codes": answer.codes, messages: [] } };
      },
    }),
  );
}

export async function startHcaptchaFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  const passed = (token: string): FakeResponse => {
    const score = options.scores?.[token];
    return { json: { success: true, challenge_ts: new Date().toISOString(), hostname: "hotel.example", ...(score !== undefined ? { score, score_reason: [] } : {}) } };
  };
  return startHttpFake(
    routes({
      "POST /siteverify": (request) => {
        const fields = formOnly(request);
        if (text(fields.secret) === HCAPTCHA_TEST.secret) {
          const token = text(fields.response);
          if (!token) return refused(["missing-input-response"]);
          return token === HCAPTCHA_TEST.passcode ? passed(token) : refused(["not-using-dummy-passcode"]);
        }
        const answer = verdict(fields, options, (given) =>
          typeof given.sitekey === "string" && options.siteKey && given.sitekey !== options.siteKey ? ["sitekey-secret-mismatch"] : [],
        );
        return answer.ok ? passed(answer.token) : refused(answer.codes);
      },
    }),
  );
}

export async function startRecaptchaFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "POST /recaptcha/api/siteverify": (request) => {
        const fields = { ...Object.fromEntries(request.query), ...formOnly(request) };
        if (text(fields.secret) === RECAPTCHA_TEST.secret) {
          return text(fields.response) ? { json: { success: true, challenge_ts: new Date().toISOString(), hostname: "testkey.google.com" } } : refused(["missing-input-response"]);
        }
        const answer = verdict(fields, options);
        if (!answer.ok) return refused(answer.codes);
        return {
          json: {
            success: true,
            score: options.scores?.[answer.token] ?? 0.9,
            action: options.action ?? "booking",
            challenge_ts: new Date().toISOString(),
            hostname: "hotel.example",
          },
        };
      },
    }),
  );
}
