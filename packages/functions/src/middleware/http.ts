import middy from "@middy/core";
import { DomainError, RateLimitedError } from "@sambung/core/error";
import type { Ports } from "@sambung/core/port";
import { InvalidCursorError } from "@sambung/core/port";
import { ProviderError } from "@sambung/core/resilience/errors";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { logger } from "../log.ts";
import { logContext } from "./log-context.ts";
import { ports } from "../ports.ts";
import * as Tenant from "@sambung/core/tenant/index";

/** Who may call: anyone, a signed-in user with at least a role, or an API key with a scope. */
export type Auth = { public: true } | { role: Tenant.Role | "superadmin" } | { scope: Tenant.ApiScope };

export interface Schemas {
  auth: Auth;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

type Parsed<S extends Schemas, K extends keyof Schemas> = S[K] extends z.ZodType ? z.infer<S[K]> : undefined;

export interface Request<S extends Schemas> {
  body: Parsed<S, "body">;
  query: Parsed<S, "query">;
  params: Parsed<S, "params">;
  /** The body exactly as received, for signature checks. */
  rawBody: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  correlationId: string;
  sourceIp: string;
  principal: S["auth"] extends { public: true } ? undefined : Tenant.Principal;
  event: APIGatewayProxyEventV2;
  ports: Ports;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** A body that is not JSON (server-sent events), sent as it is; set the content-type header with it. */
  text?: string;
  headers?: Record<string, string>;
}

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** Problem body: `error.message` says what to fix; `issues` name the failing fields. */
function problem(
  status: number,
  code: string,
  message: string,
  correlationId: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { ...JSON_HEADERS, "x-correlation-id": correlationId, ...headers },
    body: JSON.stringify({ error: { code, message, ...extra, correlationId } }),
  };
}

class BadRequestBody extends Error {}

function readBody(event: APIGatewayProxyEventV2): string {
  if (!event.body) return "";
  return event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
}

function parseJson(raw: string, contentType: string | undefined): unknown {
  if (raw.trim() === "") return undefined;
  if (contentType && !/json/i.test(contentType)) {
    throw new BadRequestBody(`send the body as JSON with content-type: application/json (got ${contentType})`);
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new BadRequestBody(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

function zodIssues(where: "body" | "query" | "params", error: z.ZodError) {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

function headerMap(event: APIGatewayProxyEventV2): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Authorizes and validates a request: the parsed request for the handler, or
 * the problem (400 naming each failing field, 401/403) to answer instead.
 */
export async function prepare<S extends Schemas>(
  schemas: S,
  event: APIGatewayProxyEventV2,
  headers: Record<string, string>,
  correlationId: string,
): Promise<{ request: Request<S> } | { problem: APIGatewayProxyStructuredResultV2 }> {
  const p = await ports();
  const principal = await authorize(p, schemas.auth, headers);
  const rawBody = readBody(event);
  const parts = {
    body: schemas.body ? parseJson(rawBody, headers["content-type"]) : undefined,
    query: event.queryStringParameters ?? {},
    params: event.pathParameters ?? {},
  };
  const issues: { path: string; message: string }[] = [];
  const parsed: Record<string, unknown> = {};
  for (const where of ["params", "query", "body"] as const) {
    const schema = schemas[where];
    if (!schema) continue;
    const result = schema.safeParse(parts[where]);
    if (result.success) parsed[where] = result.data;
    else issues.push(...zodIssues(where, result.error));
  }
  if (issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    return { problem: problem(400, "invalid_input", `fix these fields: ${summary}`, correlationId, { issues }) };
  }
  return {
    request: {
      ...(parsed as Pick<Request<S>, "body" | "query" | "params">),
      rawBody,
      headers,
      correlationId,
      sourceIp: event.requestContext?.http?.sourceIp ?? "",
      principal: principal as Request<S>["principal"],
      event,
      ports: p,
    },
  };
}

/** Lower-cased headers and the correlation id of a request. */
export function requestIds(event: APIGatewayProxyEventV2): { headers: Record<string, string>; correlationId: string } {
  const headers = headerMap(event);
  return { headers, correlationId: headers["x-correlation-id"] ?? event.requestContext?.requestId ?? randomUUID() };
}

export function toResult(reply: Reply, correlationId: string): APIGatewayProxyStructuredResultV2 {
  const status = reply.status ?? (reply.body === undefined && reply.text === undefined ? 204 : 200);
  return {
    statusCode: status,
    headers: { ...JSON_HEADERS, "x-correlation-id": correlationId, ...reply.headers },
    body: reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body)),
  };
}

/**
 * An HTTP API handler: correlation id, JSON parsing, zod validation of body /
 * query / path (400 naming each failing field), domain errors to their status,
 * anything else to a 500 that says nothing of internals.
 */
export function http<S extends Schemas>(schemas: S, fn: (request: Request<S>) => Promise<Reply>): HttpHandler {
  const core = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const { headers, correlationId } = requestIds(event);
    try {
      const prepared = await prepare(schemas, event, headers, correlationId);
      if ("problem" in prepared) return prepared.problem;
      return toResult(await fn(prepared.request), correlationId);
    } catch (error) {
      return toProblem(error, correlationId);
    }
  };
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(logContext())
    .handler(core);
}

async function authorize(p: Ports, auth: Auth, headers: Record<string, string>): Promise<Tenant.Principal | undefined> {
  if ("public" in auth) return undefined;
  const principal = await Tenant.authenticate(p, headers.authorization, headers["x-sambung-tenant"]);
  if ("role" in auth) Tenant.requireRole(principal, auth.role);
  else {
    Tenant.requireScope(principal, auth.scope);
    if (principal.kind === "apiKey") await Tenant.consumeApiKeyBudget(p, principal.keyId, principal.rateLimitPerMinute);
  }
  return principal;
}

/**
 * A provider call the pipeline gave up on: the provider's refusal of this request
 * is a 422, paused calls (breaker open, rate limit) a 503 with Retry-After, no
 * answer in time a 504, anything else a 502. The message is the pipeline's
 * (written for owners, secret-free); `providers` says who was tried and how it went.
 */
function providerProblem(error: ProviderError, correlationId: string): APIGatewayProxyStructuredResultV2 {
  const paused = error.code === "circuit_open" || error.code === "rate_limited";
  const status = error.code === "rejected" ? 422 : paused ? 503 : error.code === "timeout" ? 504 : 502;
  const code = error.code === "rejected" ? "provider_rejected" : paused ? "provider_paused" : error.code === "timeout" ? "provider_timeout" : "provider_failed";
  const providers = (error.trail ?? []).map((entry) => ({ provider: entry.providerSlug, role: entry.role, outcome: entry.outcome }));
  const retryAfter: Record<string, string> = paused && error.retryAfterMs !== undefined ? { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) } : {};
  return problem(status, code, error.message, correlationId, { providerCode: error.code, ...(providers.length > 0 ? { providers } : {}) }, retryAfter);
}

export function toProblem(error: unknown, correlationId: string): APIGatewayProxyStructuredResultV2 {
  if (error instanceof BadRequestBody) return problem(400, "invalid_body", error.message, correlationId);
  if (error instanceof InvalidCursorError) return problem(400, "invalid_cursor", error.message, correlationId);
  if (error instanceof z.ZodError) {
    const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
    const summary = issues.map((issue) => `${issue.path || "(value)"}: ${issue.message}`).join("; ");
    return problem(400, "invalid_input", `fix these fields: ${summary}`, correlationId, { issues });
  }
  if (error instanceof RateLimitedError) {
    return problem(429, error.code, error.message, correlationId, {}, { "retry-after": String(error.retryAfterSeconds) });
  }
  if (error instanceof DomainError) {
    return problem(error.status, error.code, error.message, correlationId, error.details ? { details: error.details } : {});
  }
  if (error instanceof ProviderError) return providerProblem(error, correlationId);
  logger.error("unhandled error", { correlationId, error: error instanceof Error ? error : String(error) });
  return problem(500, "internal", "something went wrong on our side; quote the correlation id when you report it", correlationId);
}
