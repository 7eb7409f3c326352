import { routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * A Xotelo simulator (https://xotelo.com/, "Get Rate Prices"): GET /api/rates with
 * `hotel_key`, `chk_in`, `chk_out` (YYYY-MM-DD, required), `currency` (one of USD, GBP,
 * EUR, CAD, CHF, AUD, JPY, CNY, INR, THB, BRL, HKD, RUB, BZD; USD when absent), `rooms`
 * (at most 8) and `adults` (at most 32). It answers `{ error, result: { chk_in, chk_out,
 * currency, rates: [{ code, name, rate, tax }] }, timestamp }`, `rate` being each OTA's
 * lowest nightly rate for the stay; no key is needed. The docs show no error answer:
 * this fake answers HTTP 400 with `error: { status_code, message, type }` and `result: null`.
 */

const CURRENCIES = new Set(["USD", "GBP", "EUR", "CAD", "CHF", "AUD", "JPY", "CNY", "INR", "THB", "BRL", "HKD", "RUB", "BZD"]);
const NAMES: Record<string, string> = { BookingCom: "Booking.com", Expedia: "Expedia", Agoda: "Agoda.com", HotelsCom2: "Hotels.com" };

export interface XoteloFake extends HttpFake {
  /** The nightly rate (major units, in `currency`) an OTA shows for a stay starting `date`. */
  setRate(hotelKey: string, date: string, code: string, rate: number): void;
  down: boolean;
}

export async function startXoteloFake(options: { currency?: string } = {}): Promise<XoteloFake> {
  const rates = new Map<string, Map<string, number>>();
  const control = { down: false };
  const base = options.currency ?? "USD";
  const error = (message: string, type = "invalid_request"): FakeResponse => ({ status: 400, json: { error: { status_code: 400, message, type }, result: null, timestamp: Date.now() } });

  const ratesOf = (request: FakeRequest): FakeResponse => {
    if (control.down) return { status: 503, text: "Service Unavailable", headers: { "content-type": "text/html" } };
    const hotelKey = request.query.get("hotel_key");
    const checkIn = request.query.get("chk_in") ?? "";
    const checkOut = request.query.get("chk_out") ?? "";
    const currency = request.query.get("currency") ?? "USD";
    if (!hotelKey) return error("hotel_key is required");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(checkIn) || !/^\d{4}-\d{2}-\d{2}$/.test(checkOut) || checkOut <= checkIn) return error("chk_in and chk_out must be dates (YYYY-MM-DD), chk_out after chk_in");
    if (!CURRENCIES.has(currency)) return error(`currency ${currency} is not supported`, "invalid_currency");
    if (Number(request.query.get("rooms") ?? 1) > 8 || Number(request.query.get("adults") ?? 1) > 32) return error("at most 8 rooms and 32 adults");
    if (currency !== base) return error(`this fake quotes in ${base} only`, "invalid_currency");
    const found = rates.get(`${hotelKey}|${checkIn}`) ?? new Map<string, number>();
    return {
      json: {
        error: null,
        result: { chk_in: checkIn, chk_out: checkOut, currency, rates: [...found].map(([code, rate]) => ({ code, name: NAMES[code] ?? code, rate, tax: null })) },
        timestamp: Date.now(),
      },
    };
  };

  const fake = await startHttpFake(routes({ "GET /api/rates": ratesOf }, { status: 404, json: { error: { status_code: 404, message: "Not found" }, result: null } }));
  return {
    ...fake,
    setRate: (hotelKey, date, code, rate) => {
      const key = `${hotelKey}|${date}`;
      const day = rates.get(key) ?? new Map<string, number>();
      day.set(code, rate);
      rates.set(key, day);
    },
    get down() {
      return control.down;
    },
    set down(value: boolean) {
      control.down = value;
    },
  };
}
