import { createHash, createHmac, randomUUID } from "node:crypto";
import type { Provider } from "../../provider/record.ts";
import { PaymentGatewayError } from "./errors.ts";

/**
 * Request signing for records whose `config.auth.method` is `request_signing`:
 * documented schemes, each a named signer chosen by `config.requestSigning.scheme`
 * (else inferred from the record's webhook `signature.method`). The scheme is code;
 * every value it signs with (client id, VA number, which secret, header names) comes
 * from the record.
 */

export interface SignableRequest {
  method: string;
  url: string;
  body?: string;
}

export interface SigningContext {
  provider: Provider;
  secrets: Record<string, string>;
  now: Date;
}

/** Returns the headers to add to the request. */
export type Signer = (request: SignableRequest, context: SigningContext, params: Record<string, unknown>) => Record<string, string>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

function configError(provider: Provider, message: string): PaymentGatewayError {
  return new PaymentGatewayError(`${provider.name}: ${message}`, { kind: "config", retryable: false, providerId: provider.id, provider: provider.slug });
}

function secretFor(context: SigningContext, params: Record<string, unknown>, fallback: string): string {
  const name = text(params.key) ?? text(params.secret) ?? fallback;
  const value = context.secrets[name];
  if (!value) throw configError(context.provider, `request signing needs the ${name} secret, and the record has none`);
  return value;
}

function configValue(context: SigningContext, key: string, what: string): string {
  const value = context.provider.config[key];
  const found = typeof value === "number" ? String(value) : text(value);
  if (!found) throw configError(context.provider, `request signing needs config.${key} (${what}); fill it in the provider's settings`);
  return found;
}

/** `2020-08-11T08:45:42Z` */
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** `20250101093000` (UTC). */
const compactTimestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "").replace(/[-:T]/g, "");

/**
 * DOKU non-SNAP (Checkout, Jokul): headers Client-Id, Request-Id, Request-Timestamp and
 * Signature = "HMACSHA256=" + base64(HMAC-SHA256(secret key, component)), where the
 * component is the lines `Client-Id:…`, `Request-Id:…`, `Request-Timestamp:…`,
 * `Request-Target:<path>` and, when there is a body, `Digest:<base64 SHA-256 of the body>`,
 * joined by "\n". DOKU developer docs: /get-started-with-doku-api/signature-component/non-snap
 */
export const dokuNonSnap: Signer = (request, context, params) => {
  const clientId = configValue(context, "clientId", "the DOKU Client ID");
  const key = secretFor(context, params, "serverKey");
  const requestId = randomUUID();
  const timestamp = isoSeconds(context.now);
  const target = new URL(request.url).pathname;
  const lines = [`Client-Id:${clientId}`, `Request-Id:${requestId}`, `Request-Timestamp:${timestamp}`, `Request-Target:${target}`];
  if (request.body !== undefined && request.body !== "") {
    lines.push(`Digest:${createHash("sha256").update(request.body, "utf8").digest("base64")}`);
  }
  const signature = createHmac("sha256", key).update(lines.join("\n"), "utf8").digest("base64");
  return {
    "Client-Id": clientId,
    "Request-Id": requestId,
    "Request-Timestamp": timestamp,
    [text(params.header) ?? "Signature"]: `${text(params.prefix) ?? "HMACSHA256="}${signature}`,
  };
};

/**
 * iPaymu API v2: headers va, signature, timestamp with
 * signature = hex HMAC-SHA256(API key, METHOD + ":" + VA + ":" + lowercase hex SHA-256(body) + ":" + API key).
 * https://github.com/ipaymu/docs-ipaymu-api-v2/blob/main/content/docs/signature.en.mdx
 */
export const ipaymuV2: Signer = (request, context, params) => {
  const va = configValue(context, "va", "the iPaymu VA number");
  const key = secretFor(context, params, "serverKey");
  const bodyHash = createHash("sha256").update(request.body ?? "", "utf8").digest("hex").toLowerCase();
  const stringToSign = `${request.method.toUpperCase()}:${va}:${bodyHash}:${key}`;
  return {
    va,
    signature: createHmac("sha256", key).update(stringToSign, "utf8").digest("hex"),
    timestamp: compactTimestamp(context.now),
  };
};

export const signers: Record<string, Signer> = {
  doku_non_snap: dokuNonSnap,
  ipaymu_v2: ipaymuV2,
};

/** When a record names no scheme, its webhook signature method says which vendor it is. */
const BY_SIGNATURE_METHOD: Record<string, string> = {
  doku_non_snap: "doku_non_snap",
  ipaymu_signature: "ipaymu_v2",
};

/** The signer a record asks for, with its parameters; throws a config error when there is none. */
export function signerFor(provider: Provider): { signer: Signer; params: Record<string, unknown> } {
  const params = isRecord(provider.config.requestSigning) ? provider.config.requestSigning : {};
  const signature = isRecord(provider.config.signature) ? provider.config.signature : {};
  const scheme = text(params.scheme) ?? BY_SIGNATURE_METHOD[text(signature.method) ?? ""];
  if (!scheme) {
    throw configError(provider, `auth method request_signing needs config.requestSigning.scheme (one of ${Object.keys(signers).join(", ")})`);
  }
  const signer = signers[scheme];
  if (!signer) throw configError(provider, `config.requestSigning.scheme "${scheme}" is not a known signer (known: ${Object.keys(signers).join(", ")})`);
  return { signer, params };
}
