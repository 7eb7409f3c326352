import { InvalidInputError } from "../../error.ts";
import { HttpTimeoutError, type HttpRequest, type HttpResponse } from "../../port.ts";
import type { PaymentFormat, PaymentStatus } from "../../payment/model.ts";
import type { Provider } from "../../provider/record.ts";
import { AuthConfigError, buildRequest, type Endpoint } from "../http-auth.ts";
import { amountProblem, fromVendor, toVendor } from "./currency.ts";
import { InvalidWebhookError, type EngineContext, type GatewayStatus, type NormalizedWebhook, type PaymentCreated, type PaymentEngine, type PaymentRequest } from "./engine.ts";
import { classify as classifyTransport, parseRetryAfter } from "../../resilience/errors.ts";
import { classify, PaymentGatewayError, scrub } from "./errors.ts";
import { describePaths, firstPresent, renderFromBody, scalar, valueAtPath } from "../path.ts";
import { signerFor } from "./signers.ts";
import { parseVendorTime } from "../vendor-time.ts";

/**
 * One engine per payment format, all driven by the provider record (see
 * presets/README.md for the shared config vocabulary). What the code knows is the
 * format — what `create` must hand back, how statuses, amounts and errors are read;
 * every host, path, template, field path and status table is in `provider.config`:
 *
 * - `endpoints.{create,status,cancel|expire,refund,…}` — `{ method, path, host?, contentType?, headers?, query?, body? }`,
 *   templated with `{{payment.*}}`, `{{customer.*}}`, `{{urls.*}}`, `{{providerRef}}`, `{{refund.*}}`,
 *   `{{config.*}}`, `{{secrets.*}}`, `{{now.*}}`, `{{uuid}}`; `hosts.<name>` for APIs spanning hosts.
 * - `response.<endpoint>.{transactionId,redirectUrl,qrString,vaNumber,bank,clientSecret,token,status,amount,
 *   refundedAmount,currency,expiresAt,refundId}` — dot paths (a list = first present); `response.create.
 *   expiresAtFormat` / `expiresAtTimezone` say how the vendor writes its expiry (../vendor-time.ts).
 * - `statusMap`, `statusRules` (`{ when: { path: value }, after?: datePath, status }`), `refundRules`,
 *   `refundStatusMap`, `statusNotFound`, `statusFollowUp` (`{ whenStatus: [...], endpoint }`).
 * - `webhook.{bodyType,eventIdPath|eventIdTemplate,transactionIdPath,orderIdPath,statusPath,amountPath,
 *   refundedAmountPath,currencyPath,objectPath,paidWhenPresent}`.
 * - `errors.{codePath,messagePath,bodyStatusPath,okBodyStatuses}` — where the gateway puts its error.
 * - `currencies`, `amount.{unit,currency,decimals,exponents}`, `minimumAmount`, `maximumAmount`.
 * - `auth.method` + `credentials` (via ../http-auth.ts), or `request_signing` + `requestSigning.scheme`.
 */

type Vars = Record<string, unknown>;
type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const STATUSES: readonly PaymentStatus[] = ["pending", "paid", "failed", "expired", "cancelled", "partially_refunded", "refunded"];
const isStatus = (value: unknown): value is PaymentStatus => typeof value === "string" && (STATUSES as readonly string[]).includes(value);

/** The brief's field names, read as the presets' names. */
const FIELD_ALIASES: Record<string, string> = { gatewayTransactionId: "transactionId", rawStatus: "status", bankCode: "bank" };

/** Where a gateway usually puts its error, when the record does not say (generic JSON conventions, not vendor data). */
const DEFAULT_ERROR_CODE_PATHS = ["error.code", "error_code", "error.type", "code", "status_code"];
const DEFAULT_ERROR_MESSAGE_PATHS = ["error.message", "message", "error_messages[0]", "validation_messages[0]", "status_message", "Message", "message[0]", "error_description"];

// ---------------------------------------------------------------- record access

function config(provider: Provider): Record<string, unknown> {
  return provider.config;
}

function section(provider: Provider, key: string): Record<string, unknown> {
  const value = config(provider)[key];
  return isRecord(value) ? value : {};
}

function endpointOf(provider: Provider, name: string): Endpoint | undefined {
  const value = section(provider, "endpoints")[name];
  if (!isRecord(value) || typeof value.path !== "string" || value.path === "") return undefined;
  return value as unknown as Endpoint;
}

function mappingOf(provider: Provider, name: string): Fields {
  const raw = section(provider, "response")[name];
  if (!isRecord(raw)) return {};
  const out: Fields = {};
  for (const [key, value] of Object.entries(raw)) out[FIELD_ALIASES[key] ?? key] = value;
  return out;
}

function configError(provider: Provider, action: string, message: string): PaymentGatewayError {
  return new PaymentGatewayError(`${provider.name} (${action}): ${message}`, { kind: "config", retryable: false, providerId: provider.id, provider: provider.slug, action });
}

function malformed(provider: Provider, action: string, message: string, status?: number): PaymentGatewayError {
  return new PaymentGatewayError(`${provider.name} (${action}): ${message}`, { kind: "malformed_response", status, retryable: false, providerId: provider.id, provider: provider.slug, action });
}

function unsupported(provider: Provider, action: string, message: string): PaymentGatewayError {
  return new PaymentGatewayError(`${provider.name} cannot ${action}: ${message}`, { kind: "unsupported", retryable: false, providerId: provider.id, provider: provider.slug, action });
}

// ---------------------------------------------------------------- template variables

function nowVars(ms: number): Vars {
  const date = new Date(ms);
  const iso = date.toISOString();
  return {
    iso,
    isoUtcSeconds: iso.replace(/\.\d{3}Z$/, "Z"),
    epochSeconds: Math.floor(ms / 1000),
    epochMillis: ms,
    YYYYMMDDHHmmss: iso.replace(/\.\d{3}Z$/, "").replace(/[-:T]/g, ""),
  };
}

function paymentVars(context: EngineContext, request: PaymentRequest): Vars {
  const { provider } = context;
  const code = request.currency.toUpperCase();
  const vendor = toVendor(provider, request.amount, code);
  if (!vendor) throw new InvalidInputError(amountProblem(provider, request.amount, code) ?? `${code} is not a known currency`);
  const now = context.ports.clock.now();
  const expires = request.expiresAt ? Date.parse(request.expiresAt) : Number.NaN;
  const seconds = Number.isFinite(expires) ? Math.max(1, Math.ceil((expires - now) / 1000)) : undefined;
  const items = request.items?.map((item, index) => {
    const price = toVendor(provider, item.price, code);
    return {
      id: item.sku ?? `item-${index + 1}`,
      sku: item.sku,
      name: item.name,
      quantity: item.quantity,
      price: price?.major,
      priceMinor: price?.minor,
      priceDecimal: price?.decimal,
    };
  });
  return {
    payment: {
      id: request.id,
      orderId: request.id,
      reference: request.reference,
      description: request.reference,
      amount: vendor.major,
      amountMinor: vendor.minor,
      amountDecimal: vendor.decimal,
      currency: code,
      currencyLower: code.toLowerCase(),
      method: request.method,
      token: request.token,
      expiresAt: Number.isFinite(expires) ? new Date(expires).toISOString() : undefined,
      expiresInSeconds: seconds,
      expiresInMinutes: seconds === undefined ? undefined : Math.ceil(seconds / 60),
      expiresInHours: seconds === undefined ? undefined : Math.ceil(seconds / 3600),
      idempotencyKey: request.id,
      items,
    },
    customer: { id: request.customer?.email ?? request.customer?.phone, ...request.customer },
    urls: { return: request.returnUrl, cancel: request.returnUrl, webhook: request.notifyUrl },
  };
}

// ---------------------------------------------------------------- calling the gateway

function hostBase(context: EngineContext, endpoint: Endpoint & { host?: unknown }, action: string): string {
  if (typeof endpoint.host !== "string" || endpoint.host === "") return context.baseUrl;
  const host = section(context.provider, "hosts")[endpoint.host];
  if (!isRecord(host)) throw configError(context.provider, action, `config.hosts.${endpoint.host} is missing (endpoint uses host "${endpoint.host}")`);
  const sandbox = typeof host.sandbox === "string" && host.sandbox ? host.sandbox : undefined;
  const production = typeof host.production === "string" && host.production ? host.production : undefined;
  const chosen = context.provider.testMode ? (sandbox ?? production) : production;
  if (!chosen) throw configError(context.provider, action, `config.hosts.${endpoint.host} has no ${context.provider.testMode ? "sandbox or production" : "production"} URL`);
  return chosen;
}

function build(context: EngineContext, endpoint: Endpoint, vars: Vars, action: string): HttpRequest {
  const { provider } = context;
  const baseUrl = hostBase(context, endpoint, action);
  const method = (isRecord(provider.config.auth) ? provider.config.auth.method : undefined) ?? "none";
  const allVars = { ...vars, now: nowVars(context.ports.clock.now()) };
  try {
    if (method !== "request_signing") return buildRequest({ ...context, baseUrl }, endpoint, { vars: allVars });
    const { signer, params } = signerFor(provider);
    const unsigned = buildRequest(
      { ...context, baseUrl, provider: { ...provider, config: { ...provider.config, auth: { method: "none" } } } },
      endpoint,
      { vars: allVars },
    );
    const body = typeof unsigned.body === "string" ? unsigned.body : undefined;
    const added = signer({ method: unsigned.method, url: unsigned.url, body }, { provider, secrets: context.secrets, now: new Date(context.ports.clock.now()) }, params);
    return { ...unsigned, headers: { ...unsigned.headers, ...added } };
  } catch (error) {
    if (error instanceof AuthConfigError) throw configError(provider, action, error.message);
    throw error;
  }
}

/** The first socket error code along the cause chain (fetch wraps it in a TypeError, happy eyeballs in an AggregateError). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const errors = (current as { errors?: unknown }).errors;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

async function transmit(context: EngineContext, request: HttpRequest, action: string): Promise<HttpResponse> {
  const { provider } = context;
  try {
    return await context.send(request);
  } catch (error) {
    if (error instanceof HttpTimeoutError) {
      throw new PaymentGatewayError(`${provider.name} (${action}): no answer within ${error.timeoutMs} ms`, {
        kind: "timeout",
        retryable: true,
        providerId: provider.id,
        provider: provider.slug,
        action,
      }, { cause: error });
    }
    const code = networkCode(error);
    if (code || (error instanceof TypeError && /fetch failed/i.test(error.message))) {
      const classified = classifyTransport(error);
      throw new PaymentGatewayError(`${provider.name} (${action}): could not reach ${new URL(request.url).host}${code ? ` (${code})` : ""}: ${classified.message}`, {
        kind: "unavailable",
        retryable: true,
        vendorCode: code,
        delivery: classified.delivery,
        providerId: provider.id,
        provider: provider.slug,
        action,
      }, { cause: error });
    }
    throw error;
  }
}

function parseJson(body: string): unknown {
  if (!body || body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The HTTP status, or the status a gateway puts in a 2xx body (Midtrans `status_code`, iPaymu `Status`). */
function effectiveStatus(provider: Provider, response: HttpResponse, json: unknown): number {
  const errors = section(provider, "errors");
  if (response.status >= 200 && response.status < 300 && typeof errors.bodyStatusPath === "string") {
    const inBody = scalar(valueAtPath(json, errors.bodyStatusPath));
    const ok = Array.isArray(errors.okBodyStatuses) ? errors.okBodyStatuses.map(String) : [];
    if (inBody && /^\d{3}$/.test(inBody) && Number(inBody) >= 400 && !ok.includes(inBody)) return Number(inBody);
  }
  return response.status;
}

function gatewayError(context: EngineContext, action: string, status: number, json: unknown, rawBody: string, headers: Record<string, string>): PaymentGatewayError {
  const { provider } = context;
  const errors = section(provider, "errors");
  const code = scalar(firstPresent(json, errors.codePath ?? DEFAULT_ERROR_CODE_PATHS).value);
  let message = scalar(firstPresent(json, errors.messagePath ?? DEFAULT_ERROR_MESSAGE_PATHS).value);
  if (!message && json === undefined && rawBody.trim() !== "" && rawBody.length < 300 && !/<html/i.test(rawBody)) message = rawBody;
  const vendorMessage = message ? scrub(message, context.secrets) : undefined;
  const safeCode = code ? scrub(code, context.secrets) : undefined;
  const { kind, retryable } = classify(status);
  const declineCodes = Array.isArray(errors.declineCodes) ? errors.declineCodes.map(String) : [];
  const finalKind = safeCode && declineCodes.includes(safeCode) ? "declined" : kind;
  const said = [safeCode, vendorMessage ? `"${vendorMessage}"` : undefined].filter(Boolean).join(" ");
  return new PaymentGatewayError(`${provider.name} refused ${action}: HTTP ${status}${said ? ` ${said}` : ""}`, {
    kind: finalKind,
    status,
    retryable,
    vendorCode: safeCode,
    vendorMessage,
    retryAfterMs: retryAfter(headers, context.ports.clock.now()),
    providerId: provider.id,
    provider: provider.slug,
    action,
  });
}

function retryAfter(headers: Record<string, string>, now: number): number | undefined {
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === "retry-after")?.[1];
  return parseRetryAfter(value, now);
}

interface Answer {
  status: number;
  json: unknown;
}

/**
 * Sends one endpoint of the record and returns its JSON answer; throws a
 * PaymentGatewayError for an error answer (unless `tolerate` lists its status).
 */
async function call(context: EngineContext, action: string, endpointName: string, vars: Vars, tolerate: number[] = []): Promise<Answer> {
  const endpoint = endpointOf(context.provider, endpointName);
  if (!endpoint) throw configError(context.provider, action, `config.endpoints.${endpointName} is not set`);
  const response = await transmit(context, build(context, endpoint, vars, action), action);
  const json = parseJson(response.body);
  const status = effectiveStatus(context.provider, response, json);
  if (tolerate.includes(status)) return { status, json };
  if (status >= 300) throw gatewayError(context, action, status, json, response.body, response.headers);
  return { status, json };
}

function read(json: unknown, mapping: Fields, field: string): { value: unknown; configured: boolean; paths: string } {
  const paths = mapping[field];
  const configured = paths !== undefined && paths !== null && paths !== "";
  return { value: configured ? firstPresent(json, paths).value : undefined, configured, paths: describePaths(paths) };
}

function readString(json: unknown, mapping: Fields, field: string): string | undefined {
  return scalar(read(json, mapping, field).value);
}

// ---------------------------------------------------------------- statuses

function matches(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return expected.some((item) => matches(actual, item));
  if (actual === undefined || actual === null) return expected === null;
  return String(actual) === String(expected);
}

/** Maps a vendor status through the record's rules and table; undefined when the record does not know it. */
export function mapStatus(provider: Provider, rawStatus: string, body: unknown, nowMs: number, object?: unknown): PaymentStatus | undefined {
  let status: PaymentStatus | undefined;
  const rules = Array.isArray(provider.config.statusRules) ? provider.config.statusRules : [];
  for (const rule of rules) {
    if (!isRecord(rule) || !isStatus(rule.status)) continue;
    const when = isRecord(rule.when) ? rule.when : {};
    if (!Object.entries(when).every(([path, expected]) => matches(valueAtPath(body, path), expected))) continue;
    if (typeof rule.after === "string") {
      const at = Date.parse(String(scalar(valueAtPath(body, rule.after)) ?? ""));
      if (!Number.isFinite(at) || nowMs <= at) continue;
    }
    if (typeof rule.before === "string") {
      const at = Date.parse(String(scalar(valueAtPath(body, rule.before)) ?? ""));
      if (!Number.isFinite(at) || nowMs > at) continue;
    }
    status = rule.status;
    break;
  }
  if (!status) {
    const table = section(provider, "statusMap");
    const direct = table[rawStatus];
    if (isStatus(direct)) status = direct;
    else {
      const lower = rawStatus.toLowerCase();
      const found = Object.entries(table).find(([key]) => key.toLowerCase() === lower)?.[1];
      if (isStatus(found)) status = found;
    }
  }
  if (status === "paid") {
    const rules = section(provider, "refundRules");
    if (typeof rules.amountPath === "string" && typeof rules.refundedPath === "string") {
      const source = object ?? body;
      const amount = Number(scalar(valueAtPath(source, rules.amountPath)));
      const refunded = Number(scalar(valueAtPath(source, rules.refundedPath)));
      if (Number.isFinite(refunded) && refunded > 0 && Number.isFinite(amount)) {
        const full = isStatus(rules.full) ? rules.full : "refunded";
        const partial = isStatus(rules.partial) ? rules.partial : "partially_refunded";
        status = refunded >= amount ? full : partial;
      }
    }
  }
  return status;
}

function unknownStatus(provider: Provider, action: string, rawStatus: string): PaymentGatewayError {
  return configError(provider, action, `the gateway reported status "${rawStatus}", which config.statusMap does not map to a Sambung status`);
}

/** The gateway's expiry in the answer, read as the record says the vendor writes times (`expiresAtFormat`, `expiresAtTimezone`). */
function expiryOf(json: unknown, mapping: Fields): string | undefined {
  const value = read(json, mapping, "expiresAt").value;
  return parseVendorTime(typeof value === "number" ? value : scalar(value), {
    format: typeof mapping.expiresAtFormat === "string" ? mapping.expiresAtFormat : undefined,
    timezone: typeof mapping.expiresAtTimezone === "string" ? mapping.expiresAtTimezone : undefined,
  });
}

// ---------------------------------------------------------------- what each format promises on create

type Promised = "redirectUrl" | "qrString" | "vaNumber" | "clientSecret" | "token";

interface FormatPromise {
  /** One of these fields must be in the create answer. */
  anyOf: Promised[];
  label: string;
}

const PROMISES: Record<PaymentFormat, FormatPromise | undefined> = {
  redirect_flow: { anyOf: ["redirectUrl"], label: "redirect URL" },
  e_wallet_redirect: { anyOf: ["redirectUrl"], label: "redirect or deeplink URL" },
  qris_dynamic: { anyOf: ["qrString"], label: "QR string" },
  va_static: { anyOf: ["vaNumber"], label: "virtual-account number" },
  embed_flow: { anyOf: ["clientSecret", "token"], label: "client secret or token" },
  // A server-side charge promises an outcome (its status); 3-D Secure adds a redirect, checked below.
  direct_charge: undefined,
};

function checkPromise(provider: Provider, format: PaymentFormat, json: unknown, mapping: Fields, created: PaymentCreated): void {
  const promise = PROMISES[format];
  if (promise) {
    const configured = promise.anyOf.filter((field) => read(json, mapping, field).configured);
    if (configured.length === 0) {
      throw configError(provider, "create", `${format} needs config.response.create.${promise.anyOf.join(" or ")}: where the ${promise.label} is in the gateway's answer`);
    }
    if (!promise.anyOf.some((field) => created[field] !== undefined)) {
      const where = configured.map((field) => describePaths(mapping[field])).join(" or ");
      throw malformed(provider, "create", `the gateway's answer had no ${promise.label} at ${where}`);
    }
  }
  if (format === "direct_charge" && created.status === "pending" && read(json, mapping, "redirectUrl").configured && !created.redirectUrl) {
    throw malformed(provider, "create", `the charge is pending but the gateway's answer had no authorization URL at ${describePaths(mapping.redirectUrl)}`);
  }
}

// ---------------------------------------------------------------- webhooks

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function formToObject(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) out[key] = value;
  return out;
}

function webhookBody(provider: Provider, rawBody: string, headers: Record<string, string>): Record<string, unknown> {
  const type = String(section(provider, "webhook").bodyType ?? "json");
  const contentType = headerValue(headers, "content-type") ?? "";
  const wantsForm = type === "form" || (type !== "json" && contentType.includes("x-www-form-urlencoded"));
  if (wantsForm) {
    const parsed = formToObject(rawBody);
    if (Object.keys(parsed).length === 0) throw new InvalidWebhookError("the notification body is empty");
    return parsed;
  }
  const json = parseJson(rawBody);
  if (isRecord(json)) return json;
  if (type !== "json" && rawBody.includes("=")) return formToObject(rawBody);
  throw new InvalidWebhookError(`the notification body is not a JSON object${rawBody.trim() === "" ? " (it is empty)" : ""}`);
}

// ---------------------------------------------------------------- the engine

function providerRef(payment: { id: string; gatewayTransactionId?: string }): string {
  return payment.gatewayTransactionId ?? payment.id;
}

function statusFromAnswer(
  context: EngineContext,
  action: string,
  json: unknown,
  mapping: Fields,
  fallbackId: string,
): GatewayStatus {
  const { provider } = context;
  const statusRead = read(json, mapping, "status");
  if (!statusRead.configured) throw configError(provider, action, `config.response.${action === "cancel" ? "cancel" : "status"}.status is not set: where the status is in the gateway's answer`);
  const rawStatus = scalar(statusRead.value);
  if (!rawStatus) throw malformed(provider, action, `the gateway's answer had no status at ${statusRead.paths}`);
  const status = mapStatus(provider, rawStatus, json, context.ports.clock.now());
  if (!status) throw unknownStatus(provider, action, rawStatus);
  const currency = readString(json, mapping, "currency");
  const amount = fromVendor(provider, read(json, mapping, "amount").value, currency);
  const refundedAmount = fromVendor(provider, read(json, mapping, "refundedAmount").value, currency);
  return {
    gatewayTransactionId: readString(json, mapping, "transactionId") ?? fallbackId,
    status,
    rawStatus,
    ...(amount !== undefined ? { amount } : {}),
    ...(refundedAmount !== undefined && refundedAmount > 0 ? { refundedAmount } : {}),
  };
}

async function status(context: EngineContext, payment: { id: string; gatewayTransactionId?: string }): Promise<GatewayStatus> {
  const { provider } = context;
  if (!endpointOf(provider, "status")) throw unsupported(provider, "check a payment's status", "its record has no config.endpoints.status");
  const ref = providerRef(payment);
  const vars: Vars = { providerRef: ref, payment: { id: payment.id, orderId: payment.id } };
  const notFound = isStatus(provider.config.statusNotFound) ? provider.config.statusNotFound : undefined;
  const answer = await call(context, "status", "status", vars, notFound ? [404] : []);
  if (answer.status === 404 && notFound) return { gatewayTransactionId: ref, status: notFound, rawStatus: "not_found" };
  let result = statusFromAnswer(context, "status", answer.json, mappingOf(provider, "status"), ref);

  const followUp = section(provider, "statusFollowUp");
  const when = Array.isArray(followUp.whenStatus) ? followUp.whenStatus.map(String) : [];
  if (typeof followUp.endpoint === "string" && when.includes(result.rawStatus)) {
    const next = await call(context, "status", followUp.endpoint, vars);
    const mapping = mappingOf(provider, followUp.endpoint);
    const raw = readString(next.json, mapping, "status");
    if (raw) {
      const mapped = statusFromAnswer(context, "status", next.json, mapping, result.gatewayTransactionId);
      result = { ...mapped, gatewayTransactionId: result.gatewayTransactionId, amount: mapped.amount ?? result.amount };
    }
  }
  return result;
}

async function cancel(context: EngineContext, payment: { id: string; gatewayTransactionId?: string }): Promise<GatewayStatus> {
  const { provider } = context;
  const name = endpointOf(provider, "cancel") ? "cancel" : endpointOf(provider, "expire") ? "expire" : undefined;
  if (!name) throw unsupported(provider, "cancel a payment", "its record has neither config.endpoints.cancel nor config.endpoints.expire");
  const ref = providerRef(payment);
  const vars: Vars = { providerRef: ref, payment: { id: payment.id, orderId: payment.id } };
  const answer = await call(context, "cancel", name, vars);
  const ownMapping = mappingOf(provider, name);
  const mapping = Object.keys(ownMapping).length > 0 ? ownMapping : mappingOf(provider, "status");
  if (!readString(answer.json, mapping, "status")) return status(context, payment);
  return statusFromAnswer(context, "cancel", answer.json, mapping, ref);
}

async function refund(
  context: EngineContext,
  payment: { id: string; gatewayTransactionId?: string; currency: string },
  request: { id: string; amount: number; reason: string },
): Promise<{ gatewayRefundId: string; status: "succeeded" | "pending" | "failed"; rawStatus: string }> {
  const { provider } = context;
  if (!endpointOf(provider, "refund")) throw unsupported(provider, "refund", "its record has no config.endpoints.refund");
  const vendor = toVendor(provider, request.amount, payment.currency);
  if (!vendor || !Number.isInteger(request.amount) || request.amount <= 0) {
    throw new InvalidInputError(`a refund amount is a positive whole number of ${payment.currency}'s minor unit; ${request.amount} is not`);
  }
  const vars: Vars = {
    providerRef: providerRef(payment),
    payment: { id: payment.id, orderId: payment.id, currency: payment.currency.toUpperCase(), currencyLower: payment.currency.toLowerCase() },
    refund: { id: request.id, amount: vendor.major, amountMinor: vendor.minor, amountDecimal: vendor.decimal, reason: request.reason },
  };
  const answer = await call(context, "refund", "refund", vars);
  const mapping = mappingOf(provider, "refund");
  const rawStatus = readString(answer.json, mapping, "status");
  const table = section(provider, "refundStatusMap");
  const mapped = rawStatus === undefined ? undefined : (table[rawStatus] ?? Object.entries(table).find(([key]) => key.toLowerCase() === rawStatus.toLowerCase())?.[1]);
  const outcome = mapped === "succeeded" || mapped === "pending" || mapped === "failed" ? mapped : "pending";
  return { gatewayRefundId: readString(answer.json, mapping, "refundId") ?? request.id, status: outcome, rawStatus: rawStatus ?? "accepted" };
}

function parseWebhook(
  context: Omit<EngineContext, "send">,
  webhook: { rawBody: string; headers: Record<string, string>; query: Record<string, string> },
): NormalizedWebhook {
  const { provider } = context;
  const body = webhookBody(provider, webhook.rawBody, webhook.headers);
  const spec = section(provider, "webhook");
  const object = typeof spec.objectPath === "string" ? valueAtPath(body, spec.objectPath) : undefined;

  let rawStatus = spec.statusPath === undefined ? undefined : scalar(firstPresent(body, spec.statusPath).value);
  let status: PaymentStatus | undefined;
  if (!rawStatus && spec.paidWhenPresent !== undefined && firstPresent(body, spec.paidWhenPresent).value !== undefined) {
    rawStatus = typeof spec.paidRawStatus === "string" ? spec.paidRawStatus : "PAID";
    status = "paid";
  }
  if (!rawStatus) throw new InvalidWebhookError(`the notification had no status at ${describePaths(spec.statusPath ?? spec.paidWhenPresent)}`);
  status ??= mapStatus(provider, rawStatus, body, context.ports.clock.now(), object);
  if (!status) throw new InvalidWebhookError(`the notification's status "${rawStatus}" is not in the provider's config.statusMap`);

  const gatewayTransactionId = spec.transactionIdPath === undefined ? undefined : scalar(firstPresent(body, spec.transactionIdPath).value);
  const orderId = spec.orderIdPath === undefined ? undefined : scalar(firstPresent(body, spec.orderIdPath).value);
  const currency = spec.currencyPath === undefined ? undefined : scalar(firstPresent(body, spec.currencyPath).value);
  const amount = spec.amountPath === undefined ? undefined : fromVendor(provider, firstPresent(body, spec.amountPath).value, currency);
  const refundedAmount = spec.refundedAmountPath === undefined ? undefined : fromVendor(provider, firstPresent(body, spec.refundedAmountPath).value, currency);

  let eventId: string | undefined;
  if (spec.eventIdPath !== undefined) eventId = scalar(firstPresent(body, spec.eventIdPath).value);
  else if (typeof spec.eventIdTemplate === "string") eventId = renderFromBody(spec.eventIdTemplate, body);
  else if (gatewayTransactionId ?? orderId) eventId = `${gatewayTransactionId ?? orderId}:${rawStatus}`;
  if (!eventId) {
    const where = spec.eventIdPath !== undefined ? describePaths(spec.eventIdPath) : String(spec.eventIdTemplate ?? "config.webhook.eventIdPath");
    throw new InvalidWebhookError(`the notification had no event id (${where})`);
  }
  if (!gatewayTransactionId && !orderId) {
    throw new InvalidWebhookError(`the notification names no payment: nothing at ${describePaths(spec.transactionIdPath)} or ${describePaths(spec.orderIdPath)}`);
  }
  return {
    eventId,
    ...(gatewayTransactionId ? { gatewayTransactionId } : {}),
    ...(orderId ? { orderId } : {}),
    status,
    rawStatus,
    ...(amount !== undefined ? { amount } : {}),
    ...(refundedAmount !== undefined && refundedAmount > 0 ? { refundedAmount } : {}),
  };
}

/** The record-driven engine for one format. */
export function recordEngine(format: PaymentFormat): PaymentEngine {
  return {
    problemWith(provider, amount, currency) {
      return amountProblem(provider, amount, currency);
    },

    async create(context, request) {
      const { provider } = context;
      const problem = amountProblem(provider, request.amount, request.currency);
      if (problem) throw new InvalidInputError(problem);
      const endpoint = endpointOf(provider, "create");
      if (!endpoint) throw configError(provider, "create", "config.endpoints.create is not set");
      if (!request.token && JSON.stringify(endpoint).includes("payment.token")) {
        throw new InvalidInputError(`${provider.name} charges a card token made with its client library; the payment request has no token`);
      }
      const answer = await call(context, "create", "create", paymentVars(context, request));
      const { json } = answer;
      if (!isRecord(json) && !Array.isArray(json)) throw malformed(provider, "create", "the gateway's answer was not JSON", answer.status);
      const mapping = mappingOf(provider, "create");

      const idRead = read(json, mapping, "transactionId");
      const gatewayTransactionId = scalar(idRead.value) ?? (idRead.configured ? undefined : request.id);
      if (!gatewayTransactionId) throw malformed(provider, "create", `the gateway's answer had no transaction id at ${idRead.paths}`);

      const statusRead = read(json, mapping, "status");
      let rawStatus = scalar(statusRead.value);
      if (statusRead.configured && !rawStatus) throw malformed(provider, "create", `the gateway's answer had no status at ${statusRead.paths}`);
      let status: PaymentStatus | undefined;
      if (rawStatus) status = mapStatus(provider, rawStatus, json, context.ports.clock.now());
      else {
        rawStatus = "created";
        status = "pending";
      }
      if (!status) throw unknownStatus(provider, "create", rawStatus);

      const created: PaymentCreated = { gatewayTransactionId, status, rawStatus };
      for (const field of ["redirectUrl", "qrString", "vaNumber", "clientSecret", "token"] as const) {
        const value = readString(json, mapping, field);
        if (value !== undefined) created[field] = value;
      }
      const configuredBank = [provider.config.bankCode, provider.config.bank].find((value): value is string => typeof value === "string" && value !== "");
      const bank = readString(json, mapping, "bank") ?? configuredBank;
      if (format === "va_static" && bank) created.bankCode = bank;
      const expiresAt = expiryOf(json, mapping);
      if (expiresAt) created.expiresAt = expiresAt;
      checkPromise(provider, format, json, mapping, created);
      return created;
    },

    status,
    cancel,
    refund,
    parseWebhook,
  };
}
