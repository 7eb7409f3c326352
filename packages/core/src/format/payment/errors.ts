import { ProviderError, type Delivery, type ProviderErrorCode } from "../../resilience/errors.ts";

/**
 * What a payment engine throws when the gateway (or the record that describes it)
 * lets a call down: a resilience ProviderError (so the pipeline reads `code`,
 * `retryable`, `delivery`, `retryAfterMs` as for any provider) that also says, in
 * payment terms, what went wrong (`kind`) and what the gateway said (`vendorCode`,
 * `vendorMessage`).
 *
 * Messages are for the person who has to act: which provider, which call, what the
 * gateway said. They never hold a secret: every vendor text passes through
 * {@link scrub} with the record's opened secrets.
 */

export type GatewayErrorKind =
  /** 400/422: the gateway refused the request as malformed or invalid. */
  | "bad_request"
  /** 402 or a vendor decline code: the payer's instrument was declined. */
  | "declined"
  /** 401/403: wrong or missing key, or the key lacks the permission. */
  | "unauthorized"
  | "not_found"
  /** 406/409: duplicate order id, idempotency clash. */
  | "conflict"
  | "rate_limited"
  /** 5xx or the connection failed. */
  | "unavailable"
  | "timeout"
  /** A 2xx answer that lacks what the format promises, or is not the expected shape. */
  | "malformed_response"
  /** The record cannot do this call (no endpoint configured for it). */
  | "unsupported"
  /** The record's config is incomplete or inconsistent. */
  | "config";

export interface GatewayErrorDetails {
  kind: GatewayErrorKind;
  /** The HTTP status, where there was an answer (or the status the gateway put in its body). */
  status?: number;
  retryable: boolean;
  /** The gateway's own error code (e.g. `API_VALIDATION_ERROR`, `card_declined`, `406`). */
  vendorCode?: string;
  /** The gateway's short message, scrubbed of secrets and cut to 200 characters. */
  vendorMessage?: string;
  /** From a Retry-After header on 429 / 503. */
  retryAfterMs?: number;
  /** Whether the gateway can have received the request; derived from `kind` and `status` when not given. */
  delivery?: Delivery;
  /** Provider record id and slug, for logs and the call log. */
  providerId?: string;
  provider?: string;
  /** `create`, `status`, `cancel`, `refund`. */
  action?: string;
}

/** The resilience category for a payment error kind. */
function providerCode(kind: GatewayErrorKind): ProviderErrorCode {
  switch (kind) {
    case "unauthorized":
      return "auth";
    case "rate_limited":
      return "throttled";
    case "unavailable":
      return "unavailable";
    case "timeout":
      return "timeout";
    case "bad_request":
    case "declined":
    case "not_found":
    case "conflict":
      return "rejected";
    default:
      return "error";
  }
}

function deliveryOf(details: GatewayErrorDetails): Delivery {
  if (details.delivery) return details.delivery;
  if (details.status !== undefined) return "yes";
  return details.kind === "config" || details.kind === "unsupported" ? "no" : "maybe";
}

export class PaymentGatewayError extends ProviderError {
  readonly kind: GatewayErrorKind;
  readonly vendorCode?: string;
  readonly vendorMessage?: string;
  readonly providerId?: string;
  readonly provider?: string;
  readonly action?: string;

  constructor(message: string, details: GatewayErrorDetails, options?: { cause?: unknown }) {
    super({
      code: providerCode(details.kind),
      message,
      status: details.status,
      retryable: details.retryable,
      retryAfterMs: details.retryAfterMs,
      delivery: deliveryOf(details),
      cause: options?.cause,
    });
    this.name = "PaymentGatewayError";
    this.kind = details.kind;
    this.vendorCode = details.vendorCode;
    this.vendorMessage = details.vendorMessage;
    this.providerId = details.providerId;
    this.provider = details.provider;
    this.action = details.action;
  }
}

/** Kind and retryability for an HTTP status. */
export function classify(status: number): { kind: GatewayErrorKind; retryable: boolean } {
  if (status === 408) return { kind: "timeout", retryable: true };
  if (status === 429) return { kind: "rate_limited", retryable: true };
  if (status >= 500) return { kind: "unavailable", retryable: true };
  if (status === 401 || status === 403) return { kind: "unauthorized", retryable: false };
  if (status === 402) return { kind: "declined", retryable: false };
  if (status === 404) return { kind: "not_found", retryable: false };
  if (status === 406 || status === 409) return { kind: "conflict", retryable: false };
  return { kind: "bad_request", retryable: false };
}

const MAX_VENDOR_MESSAGE = 200;

/** Replaces every secret value (and its Basic-auth form) in a vendor text, then cuts it short. */
export function scrub(text: string, secrets: Record<string, string>): string {
  let out = text;
  for (const value of Object.values(secrets)) {
    if (!value || value.length < 4) continue;
    out = out.split(value).join("••••");
    const basic = Buffer.from(`${value}:`, "utf8").toString("base64");
    out = out.split(basic).join("••••");
  }
  out = out.replace(/\s+/g, " ").trim();
  return out.length > MAX_VENDOR_MESSAGE ? `${out.slice(0, MAX_VENDOR_MESSAGE - 1)}…` : out;
}
