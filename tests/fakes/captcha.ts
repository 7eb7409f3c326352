import { routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * Captcha siteverify endpoints, as documented. All answer HTTP 200 with
 * `{ success, "error-codes": [...] }`:
 * - Cloudflare Turnstile POST /turnstile/v0/siteverify, form-encoded or JSON; secret,
 *   response, remoteip (developers.cloudflare.com/turnstile/get-started/server-side-validation).
 * - hCaptcha POST /siteverify, form-encoded only; secret, response, remoteip, sitekey;
 *   sitekey-secret-mismatch (docs.hcaptcha.com/#verify-the-user-response-server-side).
 * - reCAPTCHA POST /recaptcha/api/siteverify, form-encoded (developers.google.com/recaptcha/docs/verify).
 * Codes: missing-input-secret, invalid-input-secret, missing-input-response, invalid-input-response.
 */

export interface CaptchaFakeOptions {
  secretKey: string;
  /** Tokens the fake accepts (as if a widget issued them). */
  validTokens?: string[];
  siteKey?: string;
}

type Fields = Record<string, unknown>;

function verdict(fields: Fields, options: CaptchaFakeOptions, extra: (fields: Fields) => string[] = () => []): FakeResponse {
  const secret = typeof fields.secret === "string" ? fields.secret : "";
  const token = typeof fields.response === "string" ? fields.response : "";
  const codes: string[] = [];
  if (!secret) codes.push("missing-input-secret");
  else if (secret !== options.secretKey) codes.push("invalid-input-secret");
  if (!token) codes.push("missing-input-response");
  else if (!(options.validTokens ?? []).includes(token)) codes.push("invalid-input-response");
  if (codes.length === 0) codes.push(...extra(fields));
  if (codes.length > 0) return { json: { success: false, "error-codes": codes } };
  return { json: { success: true, challenge_ts: new Date().toISOString(), hostname: "hotel.example", "error-codes": [] } };
}

const formOnly = (request: FakeRequest): Fields =>
  (request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded") ? (request.fields ?? {}) : {};

export async function startTurnstileFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "POST /turnstile/v0/siteverify": (request) => {
        const answer = verdict(request.fields ?? {}, options);
        return { ...answer, json: { messages: [], ...(answer.json as object) } };
      },
    }),
  );
}

export async function startHcaptchaFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "POST /siteverify": (request) =>
        verdict(formOnly(request), options, (fields) =>
          typeof fields.sitekey === "string" && options.siteKey && fields.sitekey !== options.siteKey ? ["sitekey-secret-mismatch"] : [],
        ),
    }),
  );
}

export async function startRecaptchaFake(options: CaptchaFakeOptions): Promise<HttpFake> {
  return startHttpFake(
    routes({
      "POST /recaptcha/api/siteverify": (request) => {
        const fields = { ...Object.fromEntries(request.query), ...formOnly(request) };
        const answer = verdict(fields, options);
        const body = answer.json as { success: boolean };
        return body.success ? { json: { ...body, score: 0.9, action: "booking" } } : answer;
      },
    }),
  );
}
