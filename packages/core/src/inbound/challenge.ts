import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { asRecord, str } from "../format/http-auth.ts";
import { metaChallenge } from "./verifiers/index.ts";

/**
 * `GET /webhook/{type}/{slug}`: the subscription handshake some vendors make
 * before they post (Meta's WhatsApp Cloud API: `hub.mode=subscribe`,
 * `hub.verify_token`, `hub.challenge`). The record's
 * `signature.params.verifyHandshake.tokenSecret` names the secret holding the
 * verify token (default `verifyToken`); the challenge is echoed as plain text.
 */
export async function answerChallenge(ports: Ports, request: { type: string; slug: string; query: Record<string, string> }): Promise<{ status: number; text: string }> {
  const provider = await Provider.findBySlug(ports, request.slug);
  if (!provider || provider.type !== request.type) return { status: 404, text: `no ${request.type} provider with slug ${request.slug}` };
  const signature = asRecord(provider.config.signature);
  const handshake = asRecord(asRecord(signature.params).verifyHandshake);
  if (signature.method !== "meta_hub_signature" && Object.keys(handshake).length === 0) {
    return { status: 404, text: "this provider has no subscription handshake; it only posts webhooks" };
  }
  const secrets = await Provider.secretsOf(ports, provider);
  const field = str(handshake.tokenSecret) ?? "verifyToken";
  const result = metaChallenge(request.query, secrets[field] ?? "");
  return result.ok ? { status: 200, text: result.challenge } : { status: 403, text: result.reason };
}
