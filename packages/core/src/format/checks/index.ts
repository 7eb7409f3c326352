import type { FormatId } from "../catalog.ts";
import type { ConnectionCheck } from "../check.ts";
import { AuthConfigError } from "../http-auth.ts";
import { blockedHost } from "./address-guard.ts";
import { anthropic, gemini, openaiCompatible } from "./ai.ts";
import { hcaptcha, recaptchaV3, turnstile } from "./captcha.ts";
import { configuredHttpCheck } from "./http.ts";
import { mailgunApi, postmarkApi, resendApi, sendgridApi } from "./mail.ts";
import { dialog360, metaCloudApi, restSimple, twilioWhatsapp, wati } from "./messaging.ts";
import { sesApi } from "./ses.ts";
import { smtpGeneric } from "./smtp.ts";
import { s3Compatible } from "./storage.ts";
import { failed } from "./outcome.ts";

/**
 * Payment formats cover many vendors each (redirect_flow is Midtrans Snap, DOKU,
 * iPaymu, PayPal...), so there is no format-wide request: the record's
 * `config.endpoints.test` names the vendor's read-only equivalent of a sandbox
 * transaction (Midtrans GET /v2/{id}/status → 404, Stripe GET /v1/balance,
 * Xendit GET /balance). The same holds for the OTA formats.
 */
const recordDriven = configuredHttpCheck(["test"]);

/**
 * Every check: refused when a host it may contact is not public (unless private
 * URLs are allowed), and a record whose settings cannot make a request gets
 * words, not "failed unexpectedly".
 */
function guarded(check: ConnectionCheck): ConnectionCheck {
  return async (context) => {
    const blocked = await blockedHost(context.ports, context.provider, context.baseUrl);
    if (blocked) return failed(blocked);
    try {
      return await check(context);
    } catch (error) {
      if (error instanceof AuthConfigError) return failed(`the record's settings are incomplete: ${error.message}`);
      throw error;
    }
  };
}

const table: Record<FormatId, ConnectionCheck> = {
  // payment
  redirect_flow: recordDriven,
  embed_flow: recordDriven,
  qris_dynamic: recordDriven,
  va_static: recordDriven,
  direct_charge: recordDriven,
  e_wallet_redirect: recordDriven,
  // OTA channels
  opentravel_xml: recordDriven,
  eqc_xml: recordDriven,
  json_rest_channel: recordDriven,
  // rate shopping
  json_rate_shopper: recordDriven,
  // messaging
  rest_simple: restSimple,
  meta_cloud_api: metaCloudApi,
  twilio_whatsapp: twilioWhatsapp,
  "360dialog": dialog360,
  wati,
  smtp_generic: smtpGeneric,
  mailgun_api: mailgunApi,
  resend_api: resendApi,
  postmark_api: postmarkApi,
  sendgrid_api: sendgridApi,
  ses_api: sesApi,
  // storage, captcha, AI
  s3_compatible: s3Compatible,
  turnstile,
  hcaptcha,
  recaptcha_v3: recaptchaV3,
  openai_compatible: openaiCompatible,
  anthropic,
  gemini,
};

/** One connection check per API format; the type makes a missing format a compile error. */
export const checks: Record<FormatId, ConnectionCheck> = Object.fromEntries(
  Object.entries(table).map(([format, check]) => [format, guarded(check)]),
) as Record<FormatId, ConnectionCheck>;
