import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FakeRequest } from "./server.ts";

/**
 * Server-side AWS Signature Version 4 verification, as AWS documents it
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * canonical request → string to sign → HMAC chain over date/region/service → compare.
 * Used by the S3 and SES fakes to refuse wrong keys the way AWS does.
 */

export interface SigV4Key {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4Outcome =
  | { ok: true; region: string }
  | { ok: false; reason: "missing" | "malformed" | "unknown-key" | "wrong-region" | "signature"; region?: string; message: string };

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it. */
const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return "";
  return rawQuery
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const [name = "", value = ""] = pair.split(/=(.*)/s);
      return [encode(decodeURIComponent(name.replace(/\+/g, "%20"))), encode(decodeURIComponent(value.replace(/\+/g, "%20")))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/**
 * Checks the request's Authorization header against the one key the fake knows.
 * The path is taken exactly as sent (S3 signs it without re-encoding).
 */
export function verifySigV4(request: FakeRequest, key: SigV4Key, expected: { region: string; service: string }): SigV4Outcome {
  const authorization = request.headers.authorization ?? "";
  if (!authorization) return { ok: false, reason: "missing", message: "Request is missing Authentication Token" };
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!parsed) return { ok: false, reason: "malformed", message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters." };
  const [, accessKeyId = "", date = "", region = "", service = "", signedHeaders = "", signature = ""] = parsed;
  if (accessKeyId !== key.accessKeyId) return { ok: false, reason: "unknown-key", message: "The AWS Access Key Id you provided does not exist in our records." };
  if (region !== expected.region || service !== expected.service) {
    return { ok: false, reason: "wrong-region", region, message: `Credential should be scoped to a valid region, not '${region}'.` };
  }
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const [path = "/", query = ""] = request.url.split(/\?(.*)/s);
  const names = signedHeaders.split(";");
  const canonicalHeaders = names
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const payloadHash = String(request.headers["x-amz-content-sha256"] ?? sha256(request.raw));
  const canonicalRequest = [request.method, path, canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, date), region), service), "aws4_request");
  const expectedSignature = hmac(signingKey, stringToSign).toString("hex");
  const same = expectedSignature.length === signature.length && timingSafeEqual(Buffer.from(expectedSignature), Buffer.from(signature));
  if (!same) {
    return {
      ok: false,
      reason: "signature",
      message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return { ok: true, region };
}
