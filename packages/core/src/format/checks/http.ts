import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import type { CheckContext, CheckResult, ConnectionCheck } from "../check.ts";
import { asRecord, callEndpoint, jsonOf, render, str, valueAt, type AuthSpec, type Credentials, type Endpoint } from "../http-auth.ts";
import { clean, failed, httpFailure, NO_CHECK, ok, providerSays } from "./outcome.ts";

/**
 * A read-only request from the record that proves the credentials, as presets
 * write it under `config.endpoints.test` (or `config.test`):
 *
 * ```json
 * { "method": "GET", "path": "/v2/{{probeId}}/status", "statusPath": "status_code",
 *   "okStatuses": [404], "authFailedStatuses": [401], "summary": "balance {{body.balance}}" }
 * ```
 */
export interface TestSpec extends Endpoint {
  /** Statuses a good key gets; any 2xx when absent. */
  okStatuses?: number[];
  /** Statuses that mean the credentials were refused; 401 and 403 when absent. */
  authFailedStatuses?: number[];
  /** A body field that carries the real status when the HTTP status does not (e.g. "status_code"). */
  statusPath?: string;
  /** A body condition a good key also needs, e.g. `{ "path": "status", "equals": true }`. */
  okWhen?: { path: string; equals?: unknown; notEmpty?: boolean };
  /** Added to the success message; may use `{{body.field}}`. */
  summary?: string;
}

function isEndpoint(value: unknown): value is TestSpec {
  return typeof asRecord(value).path === "string";
}

/** The record's check request: `config.test`, then `config.endpoints.<name>` for each name given. */
export function configuredTest(provider: Provider, names: string[] = ["test"]): TestSpec | undefined {
  if (isEndpoint(provider.config.test)) return provider.config.test;
  const endpoints = asRecord(provider.config.endpoints);
  for (const name of names) {
    const found = endpoints[name];
    if (isEndpoint(found)) return found;
  }
  return undefined;
}

export interface HttpCheckOptions {
  auth?: AuthSpec;
  credentials?: Credentials;
  /** A format's own sign of refused credentials in a body (e.g. Gemini's 400 API_KEY_INVALID). */
  isAuthFailure?: (response: HttpResponse, json: unknown) => boolean;
  /** A format's own reading of an answer, before the generic one; undefined to fall through. */
  interpret?: (response: HttpResponse, json: unknown) => CheckResult | undefined;
  /** The success message from the answer; "credentials accepted" when absent. */
  describe?: (json: unknown, response: HttpResponse) => CheckResult | string;
}

const inRange = (status: number) => status >= 200 && status < 300;

/** A status list from a record (hand-edited JSON): numbers only, else none. */
const statusList = (value: unknown): number[] | undefined =>
  Array.isArray(value) && value.length > 0 ? value.map(Number).filter((status) => Number.isInteger(status)) : undefined;

function statusOf(response: HttpResponse, json: unknown, spec: TestSpec): number {
  if (!spec.statusPath) return response.status;
  const carried = Number(valueAt(json, spec.statusPath));
  return Number.isInteger(carried) && carried >= 100 ? carried : response.status;
}

function conditionHolds(json: unknown, condition: NonNullable<TestSpec["okWhen"]>): boolean {
  const value = valueAt(json, condition.path);
  if ("equals" in condition) return value === condition.equals || String(value) === String(condition.equals);
  if (condition.notEmpty) return value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0);
  return Boolean(value);
}

/** Runs one read-only request and reads the answer the way the spec says. */
export async function runHttpTest(context: CheckContext, spec: TestSpec, options: HttpCheckOptions = {}): Promise<CheckResult> {
  const response = await callEndpoint(context, spec, { auth: options.auth, credentials: options.credentials });
  const json = jsonOf(response);
  const status = statusOf(response, json, spec);
  const interpreted = options.interpret?.(response, json);
  if (interpreted) return interpreted;
  if (options.isAuthFailure?.(response, json)) {
    return httpFailure(response, context.provider, context.secrets, { status, authFailedStatuses: [status] });
  }
  const okStatuses = statusList(spec.okStatuses);
  const good = okStatuses ? okStatuses.includes(status) : inRange(status);
  if (!good) return httpFailure(response, context.provider, context.secrets, { status, authFailedStatuses: statusList(spec.authFailedStatuses) });
  if (spec.okWhen && !conditionHolds(json, spec.okWhen)) {
    const said = providerSays(response, context.secrets);
    return failed(`bad key: the provider refused the credentials${said ? `: ${said}` : ""}`);
  }
  if (options.describe) {
    const described = options.describe(json, response);
    return typeof described === "string" ? ok(described) : described;
  }
  const summary = spec.summary ? clean(render(spec.summary, { body: json, config: context.provider.config }), context.secrets) : "";
  return ok(`credentials accepted${summary.trim() ? `; ${summary.trim()}` : ""}`);
}

/** A check that runs the record's configured test request, or explains that there is none. */
export function configuredHttpCheck(names: string[] = ["test"], options: HttpCheckOptions = {}): ConnectionCheck {
  return async (context) => {
    const spec = configuredTest(context.provider, names);
    if (!spec) return failed(NO_CHECK);
    return runHttpTest(context, spec, options);
  };
}

/** A format check with a documented default request that the record may override. */
export function httpCheck(defaults: TestSpec, options: HttpCheckOptions = {}, names: string[] = ["test"]): ConnectionCheck {
  return async (context) => {
    const configured = configuredTest(context.provider, names);
    const spec: TestSpec = configured
      ? { ...defaults, ...configured, query: { ...defaults.query, ...configured.query } }
      : defaults;
    return runHttpTest(context, spec, options);
  };
}

/** A config value the check cannot run without; the message says where it goes. */
export function requireConfig(provider: Provider, key: string, what: string): string | CheckResult {
  const value = str(provider.config[key]);
  return value ?? failed(`set ${what} (config.${key}) before testing; the record was saved`);
}
