import type { ConnectionCheck } from "../check.ts";
import { readAnswer, verifyEndpoint, verifyVars } from "../captcha/siteverify.ts";
import { callEndpoint, jsonOf, str } from "../http-auth.ts";
import { configuredTest } from "./http.ts";
import { failed, httpFailure, ok } from "./outcome.ts";

/**
 * Captcha formats: verify a dummy token with the secret and expect the documented
 * refusal of the token. A refused secret (invalid-input-secret) means a bad key.
 * The request is the format's siteverify request (format/captcha/siteverify.ts),
 * or the record's `config.test` / `config.endpoints.test` when it names one.
 */

const DUMMY_TOKEN = "sambung-connection-check-dummy-token";
const SECRET_REFUSED = ["invalid-input-secret", "missing-input-secret", "invalid-secret"];
const TOKEN_REFUSED = ["invalid-input-response", "timeout-or-duplicate", "invalid-or-already-seen-response", "not-using-dummy-passcode"];

const siteverifyCheck: ConnectionCheck = async (context) => {
  const endpoint = { ...verifyEndpoint(context.provider), ...configuredTest(context.provider, ["test"]) };
  const token = str(context.provider.config.checkToken) ?? DUMMY_TOKEN;
  const response = await callEndpoint(context, endpoint, { auth: { method: "none" }, vars: verifyVars(token) });
  if (response.status !== 200) return httpFailure(response, context.provider, context.secrets);
  const answer = readAnswer(context.provider, jsonOf(response));
  const codes = answer.errorCodes;
  const listed = codes.length > 0 ? ` (${codes.join(", ")})` : "";
  if (codes.some((code) => SECRET_REFUSED.includes(code))) return failed(`bad key: the provider says the secret key is invalid${listed}`);
  if (codes.includes("sitekey-secret-mismatch")) return failed("the site key (config.siteKey) does not belong to this secret key");
  if (answer.success) return ok("secret key accepted (a test secret: every token passes)");
  if (codes.some((code) => TOKEN_REFUSED.includes(code))) return ok(`secret key accepted; the dummy token was refused as expected${listed}`);
  if (codes.includes("missing-input-response")) return failed("the provider did not receive the token; check the request's content type");
  return failed(`unexpected answer from the provider${listed || ": no error codes"}`);
};

/** Cloudflare Turnstile POST /turnstile/v0/siteverify (JSON or form). */
export const turnstile = siteverifyCheck;
/** hCaptcha POST /siteverify, form-encoded only. */
export const hcaptcha = siteverifyCheck;
/** reCAPTCHA POST /recaptcha/api/siteverify, form-encoded. */
export const recaptchaV3 = siteverifyCheck;
