import { DomainError } from "../error.ts";
import { PaymentGatewayError } from "../format/payment/errors.ts";
import { ProviderError } from "../resilience/errors.ts";

/**
 * A gateway call that failed, as the API answers it: the caller learns whether the
 * gateway refused the request (422: change the request), cannot be reached right
 * now (503: retry later, the same Idempotency-Key is safe), or is set up wrongly
 * (502: the owner has to fix the provider record). The message is the engine's,
 * which names the provider and the action and never holds a secret.
 */
export class GatewayFailedError extends DomainError {
  readonly retryable: boolean;

  constructor(status: number, code: string, message: string, retryable: boolean, details: Record<string, unknown>, cause: unknown) {
    super(status, code, message, details);
    this.name = "GatewayFailedError";
    this.retryable = retryable;
    this.cause = cause;
  }
}

function answerFor(error: ProviderError): { status: number; code: string } {
  const kind = error instanceof PaymentGatewayError ? error.kind : undefined;
  if (kind === "unsupported") return { status: 422, code: "gateway_unsupported" };
  if (kind === "config" || kind === "malformed_response") return { status: 502, code: "gateway_misconfigured" };
  switch (error.code) {
    case "rejected":
      return { status: 422, code: "gateway_refused" };
    case "auth":
      return { status: 502, code: "gateway_auth_failed" };
    case "error":
      return { status: 502, code: "gateway_error" };
    default:
      return { status: 503, code: "gateway_unavailable" };
  }
}

/** A provider error as an API error; anything else unchanged. */
export function asApiError(error: unknown): unknown {
  if (!(error instanceof ProviderError)) return error;
  // The engine refused our own input (no card token, an amount it cannot express) before calling.
  if (error.cause instanceof DomainError) return error.cause;
  const { status, code } = answerFor(error);
  const details: Record<string, unknown> = { retryable: error.retryable };
  if (error instanceof PaymentGatewayError) {
    if (error.vendorCode) details.vendorCode = error.vendorCode;
    if (error.vendorMessage) details.vendorMessage = error.vendorMessage;
  }
  return new GatewayFailedError(status, code, error.message, error.retryable, details, error);
}
