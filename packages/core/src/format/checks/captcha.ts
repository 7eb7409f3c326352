import type { ConnectionCheck } from "../check.ts";
import { asRecord, callEndpoint, jsonOf, str, valueAt, type Endpoint } from "../http-auth.ts";
import { configuredTest } from "./http.ts";
import { failed, httpFailure, ok } from "./outcome.ts";

/**
 * Captcha formats: verify a dummy token with the secret and expect the documented
 * refusal of the token. A refused secret (invalid-input-secret) means a bad key.
 * The record's `config.endpoints.verify` is used when present (presets write it),
 * else the format's documented siteverify request.
 */

const DUMMY_TOKEN = "sambung-connection-check-dummy-token";
const SECRET_REFUSED = ["invalid-input-secret", "missing-input-secret", "invalid-secret"];
const TOKEN_REFUSED = ["invalid-input-response", "timeout-or-duplicate", "invalid-or-already-seen-response", "not-using-dummy-passcode"];

function captchaCheck(defaults: Endpoint): ConnectionCheck {
  return async (context) => {
    const endpoint: Endpoint = { ...defaults, ...configuredTest(context.provider, ["test", "verify"]) };
    const token = str(context.provider.config.checkToken) ?? DUMMY_TOKEN;
    const response = await callEndpoint(context, endpoint, {
      auth: { method: "none" },
      vars: { captcha: { token }, request: {} },
    });
    if (response.status !== 200) return httpFailure(response, context.provider, context.secrets);
    const json = jsonOf(response);
    const codesPath = str(asRecord(asRecord(context.provider.config.response).verify).errorCodes) ?? "error-codes";
    const found = valueAt(json, codesPath);
    const codes = (Array.isArray(found) ? found : []).map(String);
    const listed = codes.length > 0 ? ` (${codes.join(", ")})` : "";
    if (codes.some((code) => SECRET_REFUSED.includes(code))) return failed(`bad key: the provider says the secret key is invalid${listed}`);
    if (codes.includes("sitekey-secret-mismatch")) return failed("the site key (config.siteKey) does not belong to this secret key");
    if (asRecord(json).success === true) return ok("secret key accepted (a test secret: every token passes)");
    if (codes.some((code) => TOKEN_REFUSED.includes(code))) return ok(`secret key accepted; the dummy token was refused as expected${listed}`);
    if (codes.includes("missing-input-response")) return failed("the provider did not receive the token; check the request's content type");
    return failed(`unexpected answer from the provider${listed || ": no error codes"}`);
  };
}

const body = { secret: "{{secrets.secretKey}}", response: "{{captcha.token}}" };

/** Cloudflare Turnstile POST /turnstile/v0/siteverify (JSON or form). */
export const turnstile = captchaCheck({ method: "POST", path: "/turnstile/v0/siteverify", contentType: "application/json", body });
/** hCaptcha POST /siteverify, form-encoded only. */
export const hcaptcha = captchaCheck({ method: "POST", path: "/siteverify", contentType: "application/x-www-form-urlencoded", body });
/** reCAPTCHA POST /recaptcha/api/siteverify, form-encoded. */
export const recaptchaV3 = captchaCheck({ method: "POST", path: "/recaptcha/api/siteverify", contentType: "application/x-www-form-urlencoded", body });
