import { z } from "zod";
import type { ProviderType } from "../provider/types.ts";

/**
 * API formats: the code side of "formats in code, vendors in data". A format
 * names the secret fields a provider record of that format must carry and the
 * integration type it serves; everything vendor-specific is in the record.
 */
export interface FormatSpec {
  type: ProviderType | "any";
  description: string;
  /** Secret fields an owner must supply (sealed at rest, write-only over the API). */
  secrets: readonly { name: string; label: string; optional?: boolean }[];
}

const key = (name: string, label: string, optional = false) => ({ name, label, optional });

export const formats = {
  // payment
  redirect_flow: { type: "payment", description: "Hosted checkout page: create, redirect the guest, webhook back", secrets: [key("serverKey", "Server / secret key"), key("webhookSecret", "Webhook secret / callback token", true)] },
  embed_flow: { type: "payment", description: "Client-side element or SDK with a client secret / token", secrets: [key("secretKey", "Secret key"), key("publishableKey", "Publishable key", true), key("webhookSecret", "Webhook signing secret", true)] },
  qris_dynamic: { type: "payment", description: "Dynamic QRIS code per payment", secrets: [key("serverKey", "Server / secret key"), key("webhookSecret", "Webhook secret / callback token", true)] },
  va_static: { type: "payment", description: "Bank virtual-account number per payment", secrets: [key("serverKey", "Server / secret key"), key("webhookSecret", "Webhook secret / callback token", true)] },
  direct_charge: { type: "payment", description: "Server-side charge of a token or card", secrets: [key("secretKey", "Secret key"), key("webhookSecret", "Webhook signing secret", true)] },
  e_wallet_redirect: { type: "payment", description: "E-wallet (GoPay, OVO, DANA, ShopeePay) charge with a deeplink or redirect", secrets: [key("serverKey", "Server / secret key"), key("webhookSecret", "Webhook secret / callback token", true)] },
  // OTA channels
  opentravel_xml: {
    type: "ota",
    description: "OpenTravel 2003/05 XML messages",
    secrets: [
      key("username", "Username"),
      key("password", "Password"),
      key("clientId", "Client ID (token-based machine account)", true),
      key("clientSecret", "Client secret (token-based machine account)", true),
      key("apiKey", "API key of the channel's booking API, where bookings come from a separate API", true),
    ],
  },
  eqc_xml: { type: "ota", description: "Expedia QuickConnect XML", secrets: [key("username", "Username"), key("password", "Password")] },
  json_rest_channel: { type: "ota", description: "Request-template driven JSON channel API", secrets: [key("apiKey", "API key"), key("webhookSecret", "Webhook secret (HMAC key or shared token of pushed bookings)", true)] },
  // rate shopping
  json_rate_shopper: { type: "rate_shopper", description: "Request-template driven JSON rate-shopping API (each channel's rate by stay date)", secrets: [key("apiKey", "API key / token", true)] },
  // messaging
  rest_simple: { type: "any", description: "Request-template driven REST call (SMS gateways, simple WhatsApp APIs)", secrets: [key("apiKey", "API key / token"), key("apiSecret", "API secret", true)] },
  meta_cloud_api: { type: "whatsapp", description: "WhatsApp Business Cloud API", secrets: [key("accessToken", "Access token"), key("appSecret", "App secret (webhook signature)", true), key("verifyToken", "Webhook verify token", true)] },
  twilio_whatsapp: { type: "whatsapp", description: "Twilio Messaging API, whatsapp: addresses", secrets: [key("accountSid", "Account SID"), key("authToken", "Auth token")] },
  "360dialog": { type: "whatsapp", description: "360dialog WhatsApp API", secrets: [key("apiKey", "D360-API-KEY")] },
  wati: { type: "whatsapp", description: "WATI WhatsApp API", secrets: [key("accessToken", "Access token")] },
  smtp_generic: { type: "mail", description: "Any SMTP server (STARTTLS or TLS, AUTH)", secrets: [key("username", "SMTP username"), key("password", "SMTP password")] },
  mailgun_api: { type: "mail", description: "Mailgun Messages API", secrets: [key("apiKey", "API key"), key("webhookSigningKey", "Webhook signing key", true)] },
  resend_api: { type: "mail", description: "Resend e-mail API", secrets: [key("apiKey", "API key"), key("webhookSecret", "Webhook signing secret", true)] },
  postmark_api: { type: "mail", description: "Postmark e-mail API", secrets: [key("serverToken", "Server token"), key("webhookPassword", "Webhook basic-auth password", true)] },
  sendgrid_api: { type: "mail", description: "SendGrid v3 Mail Send", secrets: [key("apiKey", "API key"), key("webhookPublicKey", "Event webhook verification key", true)] },
  ses_api: { type: "mail", description: "Amazon SES v2", secrets: [key("accessKeyId", "Access key id"), key("secretAccessKey", "Secret access key")] },
  // storage, captcha, AI
  s3_compatible: { type: "storage", description: "S3 API with endpoint and path-style options (S3, R2, Wasabi, B2, MinIO, Spaces)", secrets: [key("accessKeyId", "Access key id"), key("secretAccessKey", "Secret access key")] },
  turnstile: { type: "captcha", description: "Cloudflare Turnstile siteverify", secrets: [key("secretKey", "Secret key")] },
  hcaptcha: { type: "captcha", description: "hCaptcha siteverify (form-encoded)", secrets: [key("secretKey", "Secret key")] },
  recaptcha_v3: { type: "captcha", description: "Google reCAPTCHA v3 siteverify", secrets: [key("secretKey", "Secret key")] },
  openai_compatible: { type: "ai", description: "OpenAI-compatible chat completions (OpenAI, DeepSeek, Mistral, ...)", secrets: [key("apiKey", "API key")] },
  anthropic: { type: "ai", description: "Anthropic Messages API", secrets: [key("apiKey", "API key")] },
  gemini: { type: "ai", description: "Google Gemini generateContent", secrets: [key("apiKey", "API key")] },
} as const satisfies Record<string, FormatSpec>;

export type FormatId = keyof typeof formats;
export const FormatId = z.enum(Object.keys(formats) as [FormatId, ...FormatId[]]);

export function formatServes(format: FormatId, type: ProviderType): boolean {
  const spec: FormatSpec = formats[format];
  return spec.type === "any" || spec.type === type;
}
