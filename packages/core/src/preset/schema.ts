import { z } from "zod";
import { FormatId } from "../format/catalog.ts";
import { ProviderType, Slug } from "../provider/types.ts";

/** How a provider authenticates our calls. */
export const AuthMethod = z.enum([
  "basic_server_key",
  "basic",
  "bearer",
  "header_key",
  "query_key",
  "request_signing",
  "smtp_login",
  "aws_sigv4",
  /** Credentials traded for a short-lived token at `config.tokenExchange` (../format/token-exchange.ts). */
  "token_exchange",
  "none",
]);

/** How we verify the provider's webhooks: a named verifier and its parameters. */
export const SignatureMethod = z.enum([
  "midtrans_signature_key",
  "xendit_callback_token",
  "stripe_signature",
  "doku_non_snap",
  "omise_signature",
  "ipaymu_signature",
  "standard_webhooks",
  "twilio_signature",
  "meta_hub_signature",
  "mailgun_signature",
  "shopee_signature",
  "resend_svix",
  "postmark_basic_auth",
  "sendgrid_ecdsa",
  "none",
]);

/**
 * A preset pre-fills a provider record in the admin app. It is data from the
 * vendor's public docs; the runtime never reads it.
 */
export const Preset = z.object({
  id: Slug,
  type: ProviderType,
  name: z.string().min(2),
  vendor: z.string().min(2),
  apiFormat: FormatId,
  description: z.string().min(10),
  docsUrl: z.url(),
  baseUrl: z.object({ production: z.url(), sandbox: z.url().optional() }),
  auth: z.object({
    method: AuthMethod,
    /** Header the key goes in, for header_key (e.g. "x-api-key"). */
    header: z.string().optional(),
    /** Query parameter, for query_key. */
    query: z.string().optional(),
  }),
  signature: z.object({ method: SignatureMethod, params: z.record(z.string(), z.unknown()).default({}) }),
  headers: z.record(z.string(), z.string()).default({}),
  /** Format-specific settings: endpoint paths, request templates, response field paths, status tables. */
  config: z.record(z.string(), z.unknown()).default({}),
  capabilities: z.array(z.string().min(1)).default([]),
  notes: z.string().optional(),
});
export type Preset = z.infer<typeof Preset>;
