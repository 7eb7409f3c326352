import type { HttpRequest, HttpResponse } from "../port.ts";
import type { Provider } from "../provider/record.ts";
import { ProviderError } from "../resilience/errors.ts";
import { asRecord, authOf, buildRequest, jsonOf, render, str, valueAt, type CallContext, type Credentials, type Endpoint } from "./http-auth.ts";

/**
 * The `token_exchange` auth method: credentials are traded at a token endpoint
 * for a short-lived token that our calls then carry (Booking.com's machine
 * accounts, OAuth client-credentials APIs). The record says, in
 * `config.tokenExchange`:
 *
 * - `endpoint` — `{ method, path, host?, body?, contentType? }` as any record endpoint
 *   (`{{secrets.x}}` in the body sends the credentials as JSON or form fields);
 * - `auth` / `credentials` — how the token request itself authenticates
 *   (`{ method: "basic" }` with `basicUsername` / `basicPassword`; none by default);
 * - `tokenPath` — where the token is in the answer (`access_token` by default);
 * - `expiresInPath` (seconds) or `expiresAtPath` (epoch seconds or ISO time); without
 *   either, a JWT's `exp` claim, else `ttlSeconds` (3600);
 * - `headers` — what our calls carry (`{ "Authorization": "Bearer {{token}}" }` by default);
 * - `refreshBeforeSeconds` — how long before expiry a token is replaced (60).
 *
 * Tokens are cached in memory per provider record version; a 401 from the API
 * drops the cached token and the request is retried once with a fresh one.
 */

export const TOKEN_EXCHANGE = "token_exchange";

interface ExchangeSpec {
  endpoint: Endpoint;
  auth: { method: string };
  credentials: Credentials;
  tokenPath: string;
  expiresInPath?: string;
  expiresAtPath?: string;
  ttlSeconds: number;
  headers: Record<string, string>;
  refreshBeforeMs: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const cache = new Map<string, Promise<CachedToken>>();

export function usesTokenExchange(provider: Provider): boolean {
  return authOf(provider).method === TOKEN_EXCHANGE;
}

function configError(provider: Provider, message: string): ProviderError {
  return new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: config.tokenExchange.${message}` });
}

function specOf(provider: Provider): ExchangeSpec {
  const given = asRecord(provider.config.tokenExchange);
  const endpoint = asRecord(given.endpoint);
  if (typeof endpoint.path !== "string" || endpoint.path === "") throw configError(provider, "endpoint: name the token endpoint's path (and host)");
  const headers = Object.fromEntries(Object.entries(asRecord(given.headers)).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  const ttl = Number(given.ttlSeconds);
  const before = Number(given.refreshBeforeSeconds);
  return {
    endpoint: { method: "POST", ...(endpoint as unknown as Endpoint) },
    auth: { method: str(asRecord(given.auth).method) ?? "none" },
    credentials: asRecord(given.credentials) as Credentials,
    tokenPath: str(given.tokenPath) ?? "access_token",
    expiresInPath: str(given.expiresInPath),
    expiresAtPath: str(given.expiresAtPath),
    ttlSeconds: Number.isFinite(ttl) && ttl > 0 ? ttl : 3600,
    headers: Object.keys(headers).length > 0 ? headers : { Authorization: "Bearer {{token}}" },
    refreshBeforeMs: (Number.isFinite(before) && before >= 0 ? before : 60) * 1000,
  };
}

function keyOf(provider: Provider): string {
  return `${provider.tenantId}:${provider.id}:${provider.updatedAt}`;
}

/** A JWT's `exp` claim in milliseconds, when the token is a JWT that has one. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload || token.split(".").length !== 3) return undefined;
  try {
    const exp = Number((JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>).exp);
    return Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function expiryOf(spec: ExchangeSpec, answer: unknown, token: string, now: number): number {
  if (spec.expiresInPath) {
    const seconds = Number(valueAt(answer, spec.expiresInPath));
    if (Number.isFinite(seconds) && seconds > 0) return now + seconds * 1000;
  }
  if (spec.expiresAtPath) {
    const at = valueAt(answer, spec.expiresAtPath);
    const ms = typeof at === "number" ? at * 1000 : typeof at === "string" ? (/^\d+$/.test(at) ? Number(at) * 1000 : Date.parse(at)) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return jwtExpiry(token) ?? now + spec.ttlSeconds * 1000;
}

const snippet = (body: string) => body.replace(/\s+/g, " ").trim().slice(0, 200);

async function exchange(context: CallContext, spec: ExchangeSpec, send: (request: HttpRequest) => Promise<HttpResponse>): Promise<CachedToken> {
  const { provider } = context;
  // The token request is the record's own request minus the API's auth and headers (an XML content type, a version header).
  const view: Provider = { ...provider, headers: {}, config: { ...provider.config, auth: spec.auth, credentials: spec.credentials } };
  let request: HttpRequest;
  try {
    request = buildRequest({ ...context, provider: view }, spec.endpoint);
  } catch (error) {
    throw configError(provider, `endpoint: ${error instanceof Error ? error.message : String(error)}`);
  }
  const response = await send(request);
  const where = `at the token endpoint (HTTP ${response.status})`;
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw new ProviderError({
      code: "auth",
      status: response.status,
      retryable: false,
      delivery: "yes",
      message: `${provider.name} refused the machine account credentials ${where}${response.body ? `: ${snippet(response.body)}` : ""}`,
    });
  }
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    throw new ProviderError({ code: response.status === 429 ? "throttled" : "unavailable", status: response.status, retryable: true, delivery: "yes", message: `${provider.name} could not issue a token ${where}` });
  }
  if (response.status >= 300) {
    throw new ProviderError({ code: "rejected", status: response.status, retryable: false, delivery: "yes", message: `${provider.name} answered ${where}${response.body ? `: ${snippet(response.body)}` : ""}` });
  }
  const answer = jsonOf(response);
  const token = str(valueAt(answer, spec.tokenPath));
  if (!token) {
    throw new ProviderError({ code: "error", status: response.status, retryable: false, delivery: "yes", message: `${provider.name}'s token endpoint answered without a token at "${spec.tokenPath}" (config.tokenExchange.tokenPath)` });
  }
  return { token, expiresAt: expiryOf(spec, answer, token, context.ports.clock.now()) };
}

/** A valid token for the record: the cached one unless it is about to expire (or `fresh`), else a new one. */
async function tokenFor(context: CallContext, spec: ExchangeSpec, send: (request: HttpRequest) => Promise<HttpResponse>, stale?: string): Promise<string> {
  const key = keyOf(context.provider);
  const pending = cache.get(key);
  if (pending) {
    const cached = await pending.catch(() => undefined);
    if (cached && cached.token !== stale && cached.expiresAt - spec.refreshBeforeMs > context.ports.clock.now()) return cached.token;
    // Another caller may already have replaced the entry while we waited.
    if (cache.get(key) !== pending) return tokenFor(context, spec, send, stale);
  }
  const next = exchange(context, spec, send);
  cache.set(key, next);
  next.catch(() => {
    if (cache.get(key) === next) cache.delete(key);
  });
  return (await next).token;
}

function withToken(request: HttpRequest, spec: ExchangeSpec, token: string): HttpRequest {
  const headers = new Headers(request.headers);
  for (const [name, template] of Object.entries(spec.headers)) headers.set(name, render(template, { token }));
  return { ...request, headers: Object.fromEntries(headers) };
}

/**
 * Sends a request built for a `token_exchange` record with its token; a 401 drops
 * the token and retries once with a fresh one. Other records' requests go as they are.
 */
export async function sendWithToken(context: CallContext, request: HttpRequest, send: (request: HttpRequest) => Promise<HttpResponse>): Promise<HttpResponse> {
  if (!usesTokenExchange(context.provider)) return send(request);
  const spec = specOf(context.provider);
  const token = await tokenFor(context, spec, send);
  const response = await send(withToken(request, spec, token));
  if (response.status !== 401) return response;
  const fresh = await tokenFor(context, spec, send, token);
  return send(withToken(request, spec, fresh));
}

/** Forgets every cached token (tests; a record's update already changes its cache key). */
export function clearTokenCache(): void {
  cache.clear();
}
