import { randomUUID } from "node:crypto";
import type { HttpResponse, Ports } from "../port.ts";
import type { Provider } from "../provider/record.ts";
import { formats, type FormatSpec } from "./catalog.ts";

/**
 * An authenticated HTTP request built from a provider record: the one place that
 * knows how a record's `config.auth`, `config.credentials`, `headers` and
 * endpoint templates turn into a request. Format engines and connection checks
 * both call {@link callEndpoint}; nothing vendor-specific lives here.
 *
 * Record conventions (as the presets write them):
 * - `config.auth = { method, header?, query? }` — how our calls authenticate
 *   (`token_exchange`: a token from `config.tokenExchange`, see ./token-exchange.ts).
 * - `config.credentials` — which secret goes where: `bearer: "apiKey"`,
 *   `header: { "x-api-key": "apiKey" }`, `query: { key: "apiKey" }`,
 *   `basicUsername` / `basicPassword` (a secret name, a `{{template}}`, or a literal
 *   such as Mailgun's "api"), `bodyFields: { secret: "secretKey" }`.
 * - endpoints `{ method, path, query, headers, body, contentType }` whose strings may
 *   hold `{{config.x}}`, `{{secrets.x}}`, `{{uuid}}`, `{{probeId}}`, `{{now.iso}}` and
 *   whatever the caller adds.
 */

export interface Endpoint {
  method?: string;
  /** Relative to the base URL (which may carry a path prefix), or an absolute URL. */
  path: string;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
  /** application/json (default when there is a body) or application/x-www-form-urlencoded. */
  contentType?: string;
  /**
   * Another host of the same vendor, named in `config.hosts` as
   * `{ production, sandbox }` (e.g. Midtrans Snap's record calling the Core API host).
   */
  host?: string;
  /**
   * How this endpoint authenticates, when it differs from the record's `config.auth`:
   * another API of the vendor that takes its key in the query (`{ "method": "none" }`
   * with the key in `query`). A record using `token_exchange` still sends its token.
   */
  auth?: AuthSpec;
}

export interface AuthSpec {
  method: string;
  header?: string;
  query?: string;
}

export interface Credentials {
  bearer?: string;
  header?: Record<string, string>;
  query?: Record<string, string>;
  basicUsername?: string;
  basicPassword?: string;
  bodyFields?: Record<string, string>;
}

/** What a call needs: the record, its opened secrets and the base URL for its mode. */
export interface CallContext {
  ports: Ports;
  provider: Provider;
  secrets: Record<string, string>;
  baseUrl: string;
}

export type Vars = Record<string, unknown>;

export const DEFAULT_USER_AGENT = "Sambung/0.1";

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthConfigError";
  }
}

// ---------------------------------------------------------------- values and templates

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** A non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * The value at a response field path: `a.b`, `a[0].b`, `data[*].id` (a list).
 * Missing steps give undefined.
 */
export function valueAt(source: unknown, path: string): unknown {
  const steps = path.match(/[^.[\]]+|\[\*\]|\[\d+\]/g) ?? [];
  let current: unknown[] = [source];
  let many = false;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current) {
      if (step === "[*]") {
        many = true;
        if (Array.isArray(item)) next.push(...item);
      } else if (/^\[\d+\]$/.test(step)) {
        if (Array.isArray(item)) next.push(item[Number(step.slice(1, -1))]);
      } else if (isRecord(item)) {
        next.push(item[step]);
      } else if (Array.isArray(item) && /^\d+$/.test(step)) {
        next.push(item[Number(step)]);
      }
    }
    current = next;
  }
  return many ? current.filter((item) => item !== undefined) : current[0];
}

/** The variables every template sees. */
export function templateVars(context: Pick<CallContext, "provider" | "secrets">, extra: Vars = {}): Vars {
  const now = new Date();
  return {
    config: context.provider.config,
    secrets: context.secrets,
    uuid: randomUUID(),
    probeId: `sambung-check-${randomUUID()}`,
    now: { iso: now.toISOString(), isoUtcSeconds: now.toISOString().replace(/\.\d{3}Z$/, "Z"), epochSeconds: Math.floor(now.getTime() / 1000) },
    ...extra,
  };
}

const TEMPLATE = /\{\{\s*([^{}]+?)\s*\}\}/g;
const WHOLE_TEMPLATE = /^\{\{\s*([^{}]+?)\s*\}\}$/;

/** Interpolates `{{name.path}}`; unknown names become "". `encode` escapes each value (path segments). */
export function render(template: string, vars: Vars, encode: (value: string) => string = (value) => value): string {
  return template.replace(TEMPLATE, (_match, name: string) => {
    const value = valueAt(vars, name);
    return value === undefined || value === null || isRecord(value) || Array.isArray(value) ? "" : encode(String(value));
  });
}

/**
 * Renders a template tree (a request body): a string that is exactly one `{{x}}`
 * keeps the value's type; empty results are dropped so optional fields vanish.
 */
export function renderValue(value: unknown, vars: Vars): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole?.[1]) {
      const found = valueAt(vars, whole[1]);
      return found === "" || found === null ? undefined : found;
    }
    const rendered = render(value, vars);
    return rendered === "" && value !== "" ? undefined : rendered;
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, vars)).filter((item) => item !== undefined);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const rendered = renderValue(item, vars);
      if (rendered !== undefined) out[key] = rendered;
    }
    return out;
  }
  return value;
}

// ---------------------------------------------------------------- credentials

function formatOf(provider: Provider): FormatSpec {
  return formats[provider.apiFormat] as FormatSpec;
}

/** The format's main secret present in the record: the first required one, else any. */
export function primarySecret(context: Pick<CallContext, "provider" | "secrets">): string | undefined {
  const declared = formatOf(context.provider).secrets;
  for (const field of declared) if (context.secrets[field.name]) return context.secrets[field.name];
  return Object.values(context.secrets)[0];
}

/**
 * A credential reference from `config.credentials`: a `{{template}}`, the name of a
 * secret, the name of a declared but absent secret (""), or a literal.
 */
export function credential(context: Pick<CallContext, "provider" | "secrets">, ref: string | undefined, fallback?: string): string {
  if (ref === undefined) return fallback ?? "";
  if (ref.includes("{{")) return render(ref, templateVars(context));
  if (ref in context.secrets) return context.secrets[ref] ?? "";
  if (formatOf(context.provider).secrets.some((field) => field.name === ref)) return "";
  return ref;
}

export function authOf(provider: Provider, fallback: AuthSpec = { method: "none" }): AuthSpec {
  const auth = asRecord(provider.config.auth);
  const method = str(auth.method);
  if (!method) return fallback;
  return { method, header: str(auth.header) ?? fallback.header, query: str(auth.query) ?? fallback.query };
}

export function credentialsOf(provider: Provider, fallback: Credentials = {}): Credentials {
  const given = asRecord(provider.config.credentials) as Credentials;
  return { ...fallback, ...given };
}

/** Owners often paste "Bearer xyz"; the scheme is ours to add. */
function bareToken(value: string): string {
  return value.replace(/^bearer\s+/i, "").trim();
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;

/** Adds the record's authentication to a request under construction. */
export function applyAuth(
  context: Pick<CallContext, "provider" | "secrets">,
  request: { url: URL; headers: Headers },
  auth: AuthSpec,
  credentials: Credentials,
): void {
  const secret = (ref: string | undefined) => (ref === undefined ? primarySecret(context) ?? "" : credential(context, ref));
  switch (auth.method) {
    case "none":
      return;
    case "bearer": {
      const token = bareToken(secret(credentials.bearer));
      if (!token) throw new AuthConfigError("the record has no secret to send as the bearer token");
      request.headers.set("authorization", `Bearer ${token}`);
      return;
    }
    case "header_key": {
      const mapped = Object.entries(credentials.header ?? {});
      if (mapped.length === 0) {
        if (!auth.header) throw new AuthConfigError("auth.header: name the header the key goes in");
        mapped.push([auth.header, ""]);
      }
      for (const [name, ref] of mapped) {
        const value = ref === "" ? primarySecret(context) ?? "" : secret(ref);
        if (!value) throw new AuthConfigError(`the record has no secret for the ${name} header`);
        request.headers.set(name, value);
      }
      return;
    }
    case "query_key": {
      const mapped = Object.entries(credentials.query ?? {});
      if (mapped.length === 0) {
        if (!auth.query) throw new AuthConfigError("auth.query: name the query parameter the key goes in");
        mapped.push([auth.query, ""]);
      }
      for (const [name, ref] of mapped) request.url.searchParams.set(name, ref === "" ? primarySecret(context) ?? "" : secret(ref));
      return;
    }
    case "basic_server_key": {
      const user = secret(credentials.basicUsername);
      if (!user) throw new AuthConfigError("the record has no key to send as the Basic user name");
      request.headers.set("authorization", basic(user, credentials.basicPassword === undefined ? "" : credential(context, credentials.basicPassword)));
      return;
    }
    case "basic": {
      const declared = formatOf(context.provider).secrets;
      const user = credential(context, credentials.basicUsername ?? declared[0]?.name);
      const password = credential(context, credentials.basicPassword ?? declared[1]?.name);
      if (!user) throw new AuthConfigError("the record has no Basic user name");
      request.headers.set("authorization", basic(user, password));
      return;
    }
    case "token_exchange":
      // The token is fetched asynchronously and added when the request is sent (./token-exchange.ts).
      return;
    default:
      throw new AuthConfigError(`auth method "${auth.method}" is not supported for HTTP calls yet`);
  }
}

// ---------------------------------------------------------------- requests

function joinUrl(baseUrl: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const base = baseUrl.replace(/\/+$/, "");
  const tail = `/${path.replace(/^\/+/, "")}`.replace(/\/{2,}/g, "/");
  return new URL(`${base}${tail === "/" ? "" : tail}`);
}

function encodeBody(body: unknown, contentType: string): string {
  if (typeof body === "string") return body;
  if (contentType.includes("x-www-form-urlencoded")) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(asRecord(body))) {
      if (value === undefined || value === null) continue;
      form.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    return form.toString();
  }
  return JSON.stringify(body);
}

export interface CallOptions {
  /** Extra template variables (e.g. `captcha.token`). */
  vars?: Vars;
  /** Used when the record has no `config.auth` (a record made without a preset). */
  auth?: AuthSpec;
  /** Merged under the record's `config.credentials`. */
  credentials?: Credentials;
  /** Per-request timeout; defaults to `config.timeoutMs`, then the Http port's default. */
  timeoutMs?: number;
}

/** The base URL an endpoint goes to: the record's, or one of `config.hosts` for the record's mode. */
export function baseUrlFor(context: Pick<CallContext, "provider" | "baseUrl">, endpoint: Pick<Endpoint, "host">): string {
  if (!endpoint.host) return context.baseUrl;
  const host = asRecord(asRecord(context.provider.config.hosts)[endpoint.host]);
  const chosen = (context.provider.testMode ? str(host.sandbox) : undefined) ?? str(host.production);
  if (!chosen) throw new AuthConfigError(`config.hosts.${endpoint.host}: give the ${endpoint.host} host's production (and sandbox) URL`);
  return chosen;
}

/** The request a record's endpoint describes, with its authentication, ready for the Http port. */
export function buildRequest(context: CallContext, endpoint: Endpoint, options: CallOptions = {}) {
  const vars = templateVars(context, options.vars);
  const url = joinUrl(baseUrlFor(context, endpoint), render(endpoint.path, vars, encodeURIComponent));
  for (const [name, value] of Object.entries(asRecord(renderValue(endpoint.query ?? {}, vars)))) {
    url.searchParams.set(name, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  const headers = new Headers();
  headers.set("user-agent", DEFAULT_USER_AGENT);
  headers.set("accept", "application/json");
  for (const [name, value] of Object.entries(context.provider.headers)) headers.set(name, render(value, vars));
  for (const [name, value] of Object.entries(asRecord(endpoint.headers))) {
    const rendered = renderValue(value, vars);
    if (rendered !== undefined) headers.set(name, String(rendered));
  }
  const credentials = credentialsOf(context.provider, options.credentials);
  applyAuth(context, { url, headers }, endpoint.auth?.method ? endpoint.auth : authOf(context.provider, options.auth), credentials);

  const method = (endpoint.method ?? "GET").toUpperCase();
  let body: string | undefined;
  if (endpoint.body !== undefined && method !== "GET" && method !== "HEAD") {
    const contentType = endpoint.contentType ?? headers.get("content-type") ?? "application/json";
    const rendered = renderValue(endpoint.body, vars);
    if (isRecord(rendered) && credentials.bodyFields) {
      for (const [field, ref] of Object.entries(credentials.bodyFields)) if (rendered[field] === undefined) rendered[field] = credential(context, ref);
    }
    body = encodeBody(rendered ?? {}, contentType);
    headers.set("content-type", contentType);
  } else if (method === "GET" || method === "HEAD") {
    headers.delete("content-type");
  }
  const configured = Number(context.provider.config.timeoutMs);
  const timeoutMs = options.timeoutMs ?? (Number.isFinite(configured) && configured > 0 ? configured : undefined);
  return { url: url.toString(), method, headers: Object.fromEntries(headers), body, ...(timeoutMs ? { timeoutMs } : {}) };
}

/** Calls one of the record's endpoints through the Http port. */
export async function callEndpoint(context: CallContext, endpoint: Endpoint, options: CallOptions = {}): Promise<HttpResponse> {
  const request = buildRequest(context, endpoint, options);
  if (authOf(context.provider, options.auth).method !== "token_exchange") return context.ports.http.fetch(request);
  // Imported here: token-exchange.ts builds its own requests with this module.
  const { sendWithToken } = await import("./token-exchange.ts");
  return sendWithToken(context, request, (next) => context.ports.http.fetch(next));
}

/** The response body as JSON, or undefined. */
export function jsonOf(response: Pick<HttpResponse, "body">): unknown {
  try {
    return response.body ? JSON.parse(response.body) : undefined;
  } catch {
    return undefined;
  }
}
