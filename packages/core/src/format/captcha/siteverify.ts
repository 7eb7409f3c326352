import type { Provider } from "../../provider/record.ts";
import { asRecord, str, valueAt, type Endpoint } from "../http-auth.ts";

/**
 * The captcha formats: one siteverify request each, as the vendors document it.
 * All answer HTTP 200 with `{ success, "error-codes": [...] }` plus, depending on
 * the vendor, `challenge_ts`, `hostname`, `action` and `score`.
 * - turnstile: POST /turnstile/v0/siteverify, JSON or form; secret, response, remoteip
 *   (developers.cloudflare.com/turnstile/get-started/server-side-validation/)
 * - hcaptcha: POST /siteverify, form-encoded only; secret, response, remoteip, sitekey
 *   (hCaptcha docs: /#verify-the-user-response-server-side)
 * - recaptcha_v3: POST /recaptcha/api/siteverify, form-encoded; secret, response,
 *   remoteip; answers score (0.0 bot … 1.0 human) and action
 *   (developers.google.com/recaptcha/docs/verify, /docs/v3)
 *
 * A record's `config.endpoints.verify` replaces the request (presets write it) and
 * `config.response.verify` names where each field is; templates see
 * `{{captcha.token}}` and `{{request.ip}}`.
 */

export const CAPTCHA_FORMATS = ["turnstile", "hcaptcha", "recaptcha_v3"] as const;
export type CaptchaFormat = (typeof CAPTCHA_FORMATS)[number];

export function isCaptchaFormat(format: string): format is CaptchaFormat {
  return (CAPTCHA_FORMATS as readonly string[]).includes(format);
}

const body = { secret: "{{secrets.secretKey}}", response: "{{captcha.token}}", remoteip: "{{request.ip}}" };

const DEFAULTS: Record<CaptchaFormat, Endpoint> = {
  turnstile: { method: "POST", path: "/turnstile/v0/siteverify", contentType: "application/json", body },
  hcaptcha: { method: "POST", path: "/siteverify", contentType: "application/x-www-form-urlencoded", body: { ...body, sitekey: "{{config.siteKey}}" } },
  recaptcha_v3: { method: "POST", path: "/recaptcha/api/siteverify", contentType: "application/x-www-form-urlencoded", body },
};

/** The siteverify request for a record: the format's, overridden by `config.endpoints.verify`. */
export function verifyEndpoint(provider: Provider): Endpoint {
  const configured = asRecord(asRecord(provider.config.endpoints).verify);
  return { ...DEFAULTS[provider.apiFormat as CaptchaFormat], ...(typeof configured.path === "string" ? (configured as unknown as Endpoint) : {}) };
}

/** The template variables of one verification. */
export function verifyVars(token: string, remoteIp?: string) {
  return { captcha: { token, remoteIp: remoteIp ?? "" }, request: { ip: remoteIp ?? "" } };
}

export interface SiteverifyAnswer {
  success: boolean;
  errorCodes: string[];
  score?: number;
  action?: string;
  hostname?: string;
  challengeTs?: string;
}

/** Reads a siteverify answer through the record's field paths (`config.response.verify`). */
export function readAnswer(provider: Provider, json: unknown): SiteverifyAnswer {
  const paths = asRecord(asRecord(provider.config.response).verify);
  const at = (name: string, fallback: string) => valueAt(json, str(paths[name]) ?? fallback);
  const codes = at("errorCodes", "error-codes");
  const score = Number(at("score", "score"));
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
  return {
    success: at("success", "success") === true,
    errorCodes: (Array.isArray(codes) ? codes : []).map(String),
    score: at("score", "score") === undefined || !Number.isFinite(score) ? undefined : score,
    action: text(at("action", "action")),
    hostname: text(at("hostname", "hostname")),
    challengeTs: text(at("challengeTs", "challenge_ts")),
  };
}
