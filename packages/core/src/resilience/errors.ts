import { HttpTimeoutError, type HttpResponse } from "../port.ts";

/**
 * Whether the provider can have received the request. It decides what a
 * non-idempotent call may do after a failure:
 * - "no": it never left us (circuit open, rate limited here, connection refused,
 *   host not found) — a fallback is safe.
 * - "maybe": it may have arrived (timeout, connection reset mid-request) — ambiguous.
 * - "yes": the provider answered (any HTTP status).
 */
export type Delivery = "no" | "maybe" | "yes";

export type ProviderErrorCode =
  /** The provider answered 4xx: bad request, declined card, unknown id. Never retried, never falls back. */
  | "rejected"
  /** 401 / 403: the key is wrong or lacks a permission. Never retried, never falls back. */
  | "auth"
  /** 429 from the provider. */
  | "throttled"
  /** 408, 425 or 5xx from the provider. */
  | "unavailable"
  /** No answer within the timeout. */
  | "timeout"
  /** The connection was closed or reset while the request was in flight. */
  | "connection_reset"
  /** The host did not resolve or refused the connection: the request never left. */
  | "unreachable"
  /** The breaker is open: the call was not sent. */
  | "circuit_open"
  /** Our own per-provider rate limit is spent: the call was not sent. */
  | "rate_limited"
  /** Anything else (a bug in a format engine, a response that does not parse). */
  | "error";

export interface ProviderErrorInit {
  code: ProviderErrorCode;
  message: string;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  retryable: boolean;
  /** From a Retry-After header (429 / 503), or how long until our own limit or breaker lets calls through. */
  retryAfterMs?: number;
  delivery?: Delivery;
  cause?: unknown;
}

/**
 * What format engines throw when a provider call fails, and what the pipeline
 * throws when it gives up. `message` is for an owner: no secrets, no stack.
 * `status` is the provider's HTTP status (absent when it never answered).
 */
export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly delivery: Delivery;
  /** Filled in by the pipeline when it gives up: every provider it tried and how that went. */
  trail?: TrailEntry[];

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ProviderError";
    this.code = init.code;
    this.status = init.status;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.delivery = init.delivery ?? (init.status !== undefined ? "yes" : "maybe");
  }

  /** The error for an HTTP answer with a failing status (≥ 400), classified by status. */
  static fromResponse(response: Pick<HttpResponse, "status" | "headers">, message?: string, now = Date.now()): ProviderError {
    const status = response.status;
    const retryAfterMs = parseRetryAfter(headerOf(response.headers, "retry-after"), now);
    const code: ProviderErrorCode =
      status === 429 ? "throttled" : status === 401 || status === 403 ? "auth" : isRetryableStatus(status) ? "unavailable" : "rejected";
    return new ProviderError({
      code,
      status,
      retryable: isRetryableStatus(status),
      retryAfterMs,
      delivery: "yes",
      message: message ?? `the provider answered HTTP ${status}`,
    });
  }
}

export interface TrailEntry {
  providerId: string;
  providerSlug: string;
  role: "primary" | "fallback" | "direct";
  attempts: number;
  outcome: "success" | ProviderErrorCode;
  message?: string;
}

/** 408 Request Timeout, 425 Too Early, 429 Too Many Requests and every 5xx are worth another try. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED", "ETIMEDOUT"]);

/** The first error code along the cause chain (fetch wraps socket errors in a TypeError; happy eyeballs in an AggregateError). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      current = errors[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Any error thrown by a provider attempt, as a ProviderError: format engines'
 * own errors pass through; timeouts and socket errors are retryable; anything
 * else is a non-retryable "error" (a bug is not fixed by calling again).
 */
export function classify(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof HttpTimeoutError) {
    return new ProviderError({ code: "timeout", retryable: true, delivery: "maybe", message: error.message, cause: error });
  }
  const foreign = fromForeign(error);
  if (foreign) return foreign;
  const code = errorCode(error);
  if (code && NOT_SENT_CODES.has(code)) {
    const message =
      code === "ECONNREFUSED"
        ? "the provider refused the connection; check the base URL and port"
        : code === "UND_ERR_CONNECT_TIMEOUT"
          ? "the connection to the provider could not be opened in time"
          : "the provider's host could not be reached; check the base URL";
    return new ProviderError({ code: "unreachable", retryable: true, delivery: "no", message, cause: error });
  }
  if (code && RESET_CODES.has(code)) {
    return new ProviderError({
      code: "connection_reset",
      retryable: true,
      delivery: "maybe",
      message: "the provider closed the connection before answering",
      cause: error,
    });
  }
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new ProviderError({ code: "timeout", retryable: true, delivery: "maybe", message: "no answer from the provider in time", cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError({ code: "error", retryable: false, delivery: "maybe", message: message || "the provider call failed", cause: error });
}

/**
 * Errors of format engines written before this module (PaymentGatewayError and
 * the like) that carry `retryable` and maybe `status` / `kind` / `retryAfterMs`:
 * classified by those fields, their message kept.
 */
function fromForeign(error: unknown): ProviderError | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & { retryable?: unknown; status?: unknown; kind?: unknown; retryAfterMs?: unknown };
  if (typeof fields.retryable !== "boolean") return undefined;
  const status = typeof fields.status === "number" && fields.status >= 100 && fields.status <= 599 ? fields.status : undefined;
  const kind = typeof fields.kind === "string" ? fields.kind : "";
  const retryAfterMs = typeof fields.retryAfterMs === "number" ? fields.retryAfterMs : undefined;
  const base = { message: error.message, status, retryAfterMs, cause: error };
  if (kind === "timeout" && status === undefined) return new ProviderError({ ...base, code: "timeout", retryable: true, delivery: "maybe" });
  if (status !== undefined) {
    if (status === 429) return new ProviderError({ ...base, code: "throttled", retryable: true, delivery: "yes" });
    if (status === 401 || status === 403) return new ProviderError({ ...base, code: "auth", retryable: false, delivery: "yes" });
    if (isRetryableStatus(status)) return new ProviderError({ ...base, code: "unavailable", retryable: true, delivery: "yes" });
    if (status >= 400) return new ProviderError({ ...base, code: "rejected", retryable: false, delivery: "yes" });
  }
  // No status: a socket error underneath says more than the wrapper.
  const code = errorCode((error as { cause?: unknown }).cause);
  if (code && NOT_SENT_CODES.has(code)) return new ProviderError({ ...base, code: "unreachable", retryable: true, delivery: "no" });
  if (fields.retryable) return new ProviderError({ ...base, code: kind === "timeout" ? "timeout" : "unavailable", retryable: true, delivery: "maybe" });
  // Not retryable and no answer status: a config problem before sending, or an answer we could not use.
  return new ProviderError({ ...base, code: "error", retryable: false, delivery: kind === "config" || kind === "unsupported" ? "no" : "maybe" });
}

/** Counts against the breaker: the provider is down or overloaded, not "said no". */
export function isAvailabilityFailure(error: ProviderError): boolean {
  return error.code === "unavailable" || error.code === "timeout" || error.code === "connection_reset" || error.code === "unreachable";
}
