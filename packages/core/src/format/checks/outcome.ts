import type { HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { redactString } from "../../secret/redact.ts";
import type { CheckResult } from "../check.ts";
import { asRecord, jsonOf, str } from "../http-auth.ts";

/** Outcome wording shared by every check: what an owner reads in the providers list. */

export const ok = (message: string): CheckResult => ({ ok: true, message: `✓ ${message}` });
export const failed = (message: string): CheckResult => ({ ok: false, message });

export const NO_CHECK =
  "no connection check is set up for this provider yet: add a read-only request as config.endpoints.test (method, path, okStatuses); the record was saved";

/** Removes anything secret-looking from a short provider text and trims it to one line. */
export function clean(text: string, secrets: Record<string, string>): string {
  let out = redactString(text);
  for (const value of Object.values(secrets)) if (value.length >= 4) out = out.split(value).join("[redacted]");
  out = out
    .replace(/[A-Za-z0-9_\-+/=.]{32,}/g, "…")
    .replace(/\s+/g, " ")
    .trim();
  return out.length > 160 ? `${out.slice(0, 157)}...` : out;
}

/**
 * A short, safe excerpt of what the provider said: its error code and message,
 * never the body itself (bodies may echo request data).
 */
export function providerSays(response: Pick<HttpResponse, "body" | "status">, secrets: Record<string, string>): string | undefined {
  const json = jsonOf(response);
  let code: string | undefined;
  let message: string | undefined;
  if (json && typeof json === "object" && !Array.isArray(json)) {
    const body = json as Record<string, unknown>;
    const error = body.error;
    if (error && typeof error === "object" && !Array.isArray(error)) {
      const inner = asRecord(error);
      code = str(inner.code) ?? str(inner.type) ?? str(inner.status);
      message = str(inner.message);
    } else {
      message = str(error);
    }
    const errorCodes = body["error-codes"];
    if (Array.isArray(errorCodes) && errorCodes.length > 0) code ??= errorCodes.map(String).join(", ");
    code ??= str(body.error_code) ?? str(body.ErrorCode) ?? str(body.name) ?? str(body.code) ?? str(body.status_code) ?? str(body.__type);
    const errors = body.errors;
    const firstError = Array.isArray(errors) ? asRecord(errors[0]) : {};
    message ??= str(body.message) ?? str(body.Message) ?? str(body.status_message) ?? str(body.error_description) ?? str(firstError.message) ?? str(body.detail) ?? str(body.reason);
  } else if (response.body && response.body.length <= 120 && !/[<{]/.test(response.body)) {
    message = response.body;
  }
  if (code === String(response.status)) code = undefined;
  const said = message && code ? `${message} (${code})` : (message ?? code);
  return said ? clean(said, secrets) : undefined;
}

function regionHint(provider: Provider): string {
  const regions = provider.config.regions;
  if (!regions || typeof regions !== "object") return "";
  const names = Object.keys(regions);
  return names.length > 1 ? `; if the account is in another region (${names.join(", ")}), use that region's base URL` : "";
}

export interface FailureOptions {
  /** Statuses that mean "these credentials are refused"; 401 and 403 unless the format says otherwise. */
  authFailedStatuses?: number[];
  /** The status to report when the body carries the real one (Midtrans). */
  status?: number;
}

/** Words for a provider answer that is not the one a good key gets. */
export function httpFailure(response: HttpResponse, provider: Provider, secrets: Record<string, string>, options: FailureOptions = {}): CheckResult {
  const status = options.status ?? response.status;
  const said = providerSays(response, secrets);
  const suffix = said ? `: ${said}` : "";
  if ((options.authFailedStatuses ?? [401, 403]).includes(status)) {
    return failed(`bad key: the provider refused the credentials (${status})${suffix}${regionHint(provider)}`);
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.location;
    let where = "";
    try {
      if (location) where = ` to ${new URL(location, "http://unknown").host}`;
    } catch {
      // an unparsable Location: say nothing about it
    }
    return failed(`the provider redirected the request${where} (${status}); check the base URL`);
  }
  if (status === 403) return failed(`access denied (403): the key was accepted but may not do this${suffix}`);
  if (status === 404) return failed(`not found (404): the provider has nothing at that address; check the base URL${suffix}`);
  if (status === 429) return failed("rate limited (429): the provider asks us to slow down; try again in a minute");
  if (status >= 500) return failed(`the provider is having trouble (${status}); try again later${suffix}`);
  return failed(`unexpected answer from the provider (${status})${suffix}`);
}
