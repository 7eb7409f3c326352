import { createHash } from "node:crypto";
import type { HttpRequest } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord, buildRequest, str, type Endpoint } from "../http-auth.ts";
import { fromVendor, toVendor } from "../payment/currency.ts";
import type { OtaContext } from "./engine.ts";

/**
 * Record access shared by the OTA engines. A channel record says, in `config`:
 * `endpoints.<name>` (`{ method, path, query?, headers?, contentType? }`, templated
 * with `{{connection.hotelCode}}`, `{{config.*}}`, `{{secrets.*}}`), `limits.itemsPerMessage`,
 * `amount` (as payment records: `unit`, `exponents`), and `auth` / `credentials` as
 * every record does (../http-auth.ts).
 */

export function endpointOf(provider: Provider, name: string): Endpoint | undefined {
  const value = asRecord(asRecord(provider.config.endpoints)[name]);
  return typeof value.path === "string" && value.path !== "" ? (value as unknown as Endpoint) : undefined;
}

export class ChannelConfigError extends Error {
  readonly retryable = false;
  readonly kind = "config";

  constructor(message: string) {
    super(message);
    this.name = "ChannelConfigError";
  }
}

export function requireEndpoint(provider: Provider, name: string, what: string): Endpoint {
  const endpoint = endpointOf(provider, name);
  if (!endpoint) throw new ChannelConfigError(`${provider.name}: config.endpoints.${name} is missing; the record needs the channel's ${what} endpoint`);
  return endpoint;
}

/** The request an endpoint describes, with the record's auth, carrying `body` as is (never templated). */
export function requestFor(context: OtaContext, endpoint: Endpoint, body: string | undefined, contentType: string, vars: Record<string, unknown> = {}): HttpRequest {
  const built = buildRequest(context, { ...endpoint, body: undefined }, { vars: { connection: { hotelCode: context.hotelCode }, ...vars } });
  const headers: Record<string, string> = { ...built.headers };
  if (body !== undefined) {
    headers["content-type"] = endpoint.contentType ?? contentType;
    headers.accept = contentType.includes("json") ? "application/json" : "application/xml, text/xml";
  }
  return { url: built.url, method: built.method, headers, body, ...(built.timeoutMs ? { timeoutMs: built.timeoutMs } : {}) };
}

export function itemsPerMessage(provider: Provider, fallback: number): number {
  const value = Number(asRecord(provider.config.limits).itemsPerMessage);
  return Number.isInteger(value) && value >= 1 && value <= 100_000 ? value : fallback;
}

/** A rate in our minor units as the channel writes it: a decimal string in major units ("150000", "125.50"). */
export function decimalAmount(provider: Provider, minor: number, currency: string): string {
  return toVendor(provider, minor, currency)?.decimal ?? String(minor);
}

/** A channel's amount (major units unless the record says minor) in our minor units. */
export function minorAmount(provider: Provider, value: unknown, currency: string | undefined): number | undefined {
  return fromVendor(provider, value, currency);
}

/** A date-time as the channel wrote it, normalised to ISO 8601 UTC when it parses (versions sort by it). */
export function isoTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const parsed = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(parsed) ? value : new Date(parsed).toISOString();
}

export function hashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export function nowIso(context: Pick<OtaContext, "ports">): string {
  return new Date(context.ports.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function configString(provider: Provider, key: string): string | undefined {
  return str(provider.config[key]);
}
