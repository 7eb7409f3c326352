/**
 * Webhook signature verifiers, one per `SignatureMethod` (preset/schema.ts).
 * The inbound hub stores the raw request, looks up the provider record's
 * `signature: { method, params }`, and calls `verifiers[method]` with the raw
 * body, lower-cased headers, the URL as the provider called it, the decrypted
 * secrets and the params. Each verifier documents its vendor source, its params
 * and their defaults next to its code.
 */
import { dokuNonSnap, midtransSignatureKey, omiseSignature, stripeSignature, xenditCallbackToken } from "./payment.ts";
import { ipaymuSignature } from "./ipaymu.ts";
import {
  mailgunSignature,
  metaHubSignature,
  postmarkBasicAuth,
  resendSvix,
  sendgridEcdsa,
  shopeeSignature,
  standardWebhooks,
  twilioSignatureVerifier,
} from "./messaging.ts";
import type { SignatureMethodName, Verifier } from "./types.ts";
import { ok } from "./util.ts";

export type { SignatureMethodName, Verifier, VerifierInput, VerifyResult } from "./types.ts";
export { metaChallenge, type ChallengeResult } from "./messaging.ts";
export { phpJsonEncode } from "./ipaymu.ts";

/** `none`: the provider signs nothing and the owner chose to accept that. Always ok. */
const none: Verifier = () => ok();

const table: Record<SignatureMethodName, Verifier> = {
  midtrans_signature_key: midtransSignatureKey,
  xendit_callback_token: xenditCallbackToken,
  stripe_signature: stripeSignature,
  doku_non_snap: dokuNonSnap,
  omise_signature: omiseSignature,
  ipaymu_signature: ipaymuSignature,
  standard_webhooks: standardWebhooks,
  twilio_signature: twilioSignatureVerifier,
  meta_hub_signature: metaHubSignature,
  mailgun_signature: mailgunSignature,
  shopee_signature: shopeeSignature,
  resend_svix: resendSvix,
  postmark_basic_auth: postmarkBasicAuth,
  sendgrid_ecdsa: sendgridEcdsa,
  none,
};

/**
 * Frozen and without a prototype, so a method name read from a provider record
 * ("toString", "constructor", "__proto__") finds no inherited function.
 */
export const verifiers: Readonly<Record<SignatureMethodName, Verifier>> = Object.freeze(
  Object.assign(Object.create(null) as Record<SignatureMethodName, Verifier>, table),
);
