import { dayOf, isIsoDate, isoOf } from "../../channel/dates.ts";
import type { HttpRequest, HttpResponse } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { ProviderError } from "../../resilience/errors.ts";
import { asRecord, buildRequest, jsonOf, renderValue, type CallContext, type Endpoint } from "../http-auth.ts";
import { fromVendor } from "../payment/currency.ts";
import { describePaths, firstPresent, scalar } from "../path.ts";

/**
 * `json_rate_shopper`: a rate-shopping API that reports what each channel sells the
 * property's rooms for, read entirely from the record (json_rest_channel style):
 *
 * - `endpoints.rates` — the request, templated with `{{hotelCode}}` (the shopper's code
 *   for the property: `hotelCodes.<locationId>`, else the location id), `{{from}}`, `{{to}}`.
 *   With `request.perDate: true` the shopper quotes one stay at a time: one request per
 *   date, with `{{date}}` and `{{checkOut}}` (the next day), at most `limits.maxDates`
 *   dates (31 when absent) from `from`.
 * - `response.rates.{listPath, channel, room, ratePlan, date, rate, currency}` — dot
 *   paths into the answer and into each listed rate (../path.ts); `date` is the
 *   request's date in per-date mode. `response.currency` — where one currency for the
 *   whole answer sits. `response.error` — where a shopper that answers 200 puts its
 *   refusal (a non-empty value there fails the call; its `message`, else the value, is the reason).
 * - Rates are major units unless `amount.unit` is "minor" (as payment records).
 */

export interface ShoppedRate {
  /** The shopper's name or code for the channel (mapped to a provider with the record's `channels`). */
  channel: string;
  /** The channel's room / rate plan codes, where the shopper reports rooms. */
  room?: string;
  ratePlan?: string;
  date: string;
  /** Minor units. */
  rate?: number;
  currency?: string;
}

export interface Shopped {
  rates: ShoppedRate[];
  /** Dates of the range that were not asked for (per-date shoppers beyond `limits.maxDates`). */
  skippedDates: number;
}

const DEFAULT_MAX_DATES = 31;
const PARALLEL_REQUESTS = 4;

const section = (provider: Provider, name: string) => asRecord(provider.config[name]);

function refusal(provider: Provider, json: unknown): string | undefined {
  const path = section(provider, "response").error;
  if (path === undefined) return undefined;
  const value = firstPresent(json, path).value;
  if (value === undefined || value === false) return undefined;
  const message = scalar(asRecord(value).message) ?? scalar(value);
  return message ?? JSON.stringify(value).slice(0, 200);
}

function readAnswer(provider: Provider, response: HttpResponse): unknown {
  const json = jsonOf(response);
  const said = json === undefined ? undefined : refusal(provider, json) ?? scalar(firstPresent(json, section(provider, "errors").messagePath ?? ["error.message", "message", "error"]).value);
  if (response.status >= 400) throw ProviderError.fromResponse(response, `${provider.name} answered HTTP ${response.status}${said ? `: ${said}` : ""}`);
  if (json === undefined) {
    const excerpt = response.body.replace(/\s+/g, " ").trim().slice(0, 120) || "(empty)";
    throw new ProviderError({ code: "error", status: response.status, retryable: false, delivery: "yes", message: `${provider.name} answered with something that is not JSON: ${excerpt}` });
  }
  const refused = refusal(provider, json);
  if (refused) throw new ProviderError({ code: "rejected", status: response.status, retryable: false, delivery: "yes", message: `${provider.name} refused the request: ${refused}` });
  return json;
}

function ratesIn(provider: Provider, json: unknown, requestDate: string | undefined): ShoppedRate[] {
  const response = section(provider, "response");
  const spec = asRecord(response.rates);
  const listPath = spec.listPath ?? "rates";
  const list = firstPresent(json, listPath).value;
  if (!Array.isArray(list)) {
    throw new ProviderError({ code: "error", retryable: false, delivery: "yes", message: `${provider.name} answered without a list of rates at ${describePaths(listPath)}` });
  }
  const shared = response.currency === undefined ? undefined : scalar(firstPresent(json, response.currency).value);
  const out: ShoppedRate[] = [];
  for (const entry of list) {
    const read = (key: string, fallback?: string) => {
      const path = spec[key] ?? fallback;
      return path === undefined ? undefined : scalar(firstPresent(entry, path).value);
    };
    const channel = read("channel", "channel");
    const date = requestDate ?? read("date", "date");
    if (!channel || !date || !isIsoDate(date)) continue;
    const currency = (read("currency") ?? shared)?.toUpperCase();
    out.push({ channel, room: read("room"), ratePlan: read("ratePlan"), date, rate: fromVendor(provider, firstPresent(entry, spec.rate ?? "rate").value, currency), currency });
  }
  return out;
}

/** Asks the shopper for `from`..`to` through `send` (the resilience attempt's fetch, which never throws on a status). */
export async function shopRates(context: CallContext, send: (request: HttpRequest) => Promise<HttpResponse>, query: { hotelCode: string; from: string; to: string }): Promise<Shopped> {
  const provider = context.provider;
  const endpoint = asRecord(asRecord(provider.config.endpoints).rates) as unknown as Endpoint;
  if (typeof endpoint.path !== "string" || endpoint.path === "") {
    throw new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: config.endpoints.rates is missing; the record needs the shopper's rates request` });
  }
  const ask = async (vars: Record<string, string>, requestDate?: string) => {
    const request = buildRequest(context, { ...endpoint, body: renderValue(endpoint.body, vars) }, { vars });
    return ratesIn(provider, readAnswer(provider, await send(request)), requestDate);
  };
  const base = { hotelCode: query.hotelCode, from: query.from, to: query.to };
  if (section(provider, "request").perDate !== true) return { rates: await ask(base), skippedDates: 0 };

  const configured = Number(section(provider, "limits").maxDates);
  const maxDates = Number.isInteger(configured) && configured >= 1 && configured <= 366 ? configured : DEFAULT_MAX_DATES;
  const first = dayOf(query.from);
  const total = dayOf(query.to) - first + 1;
  const dates = Array.from({ length: Math.min(total, maxDates) }, (_, index) => isoOf(first + index));
  const rates: ShoppedRate[] = [];
  let next = 0;
  const lane = async () => {
    while (next < dates.length) {
      const date = dates[next++] as string;
      rates.push(...(await ask({ ...base, date, checkOut: isoOf(dayOf(date) + 1) }, date)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, dates.length) }, lane));
  return { rates, skippedDates: total - dates.length };
}
