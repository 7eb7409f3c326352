/**
 * Errors a domain module may throw on purpose. Each carries the HTTP status the
 * API answers with and a message written for the person who has to fix the call.
 */
export class DomainError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.name = "DomainError";
  }
}

export class InvalidInputError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, "invalid_input", message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = "sign in first: send Authorization: Bearer <token>") {
    super(401, "unauthorized", message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(403, "forbidden", message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super(404, "not_found", `${what} was not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(409, "conflict", message, details);
  }
}

export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(429, "rate_limited", message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A queue message about something not stored yet (a gateway's webhook ahead of its
 * payment, a delivery receipt ahead of its message): the queue retries it and, if it
 * never matches, dead-letters it for a person. An expected wait, so not a warning.
 */
export class NotKnownYetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotKnownYetError";
  }
}
