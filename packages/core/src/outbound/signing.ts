import { createHmac, randomBytes, type KeyObject } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is
 * `whsec_` + base64 key bytes; the signature is base64 HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}`, sent as `v1,<signature>`, several
 * separated by spaces while a rotated secret is still honoured.
 */

export const SECRET_PREFIX = "whsec_";

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString("base64");
}

export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a signing secret starts with whsec_");
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

export function signature(key: Buffer | KeyObject, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** The `webhook-signature` header value: one `v1,` signature per key, newest first. */
export function signatureHeader(keys: (Buffer | KeyObject)[], id: string, timestampSeconds: number, body: string): string {
  return keys.map((key) => signature(key, id, timestampSeconds, body)).join(" ");
}
