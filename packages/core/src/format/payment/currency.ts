import type { Provider } from "../../provider/record.ts";

/**
 * Amounts in Sambung are integers in the currency's minor unit. The exponent table
 * below is currency data (ISO 4217), not vendor data; Sambung counts IDR, JPY, KRW
 * and VND in whole units (Rp 150.000 is 150000). A gateway that counts differently
 * says so in its record: `config.amount.exponents` (e.g. `{ "IDR": 2 }` for a
 * gateway that wants sen), `config.amount.unit` (`major` or `minor`) for the unit of
 * amounts in its answers and webhooks.
 */
const EXPONENTS: Record<string, number> = {
  // whole units
  IDR: 0, JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, PYG: 0, UGX: 0, XAF: 0, XOF: 0, XPF: 0, BIF: 0, DJF: 0, GNF: 0, KMF: 0, RWF: 0, VUV: 0,
  // three decimals
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // two decimals
  USD: 2, SGD: 2, MYR: 2, THB: 2, PHP: 2, EUR: 2, GBP: 2, AUD: 2, NZD: 2, HKD: 2, CNY: 2, TWD: 2, INR: 2, CAD: 2, CHF: 2,
  SEK: 2, NOK: 2, DKK: 2, AED: 2, SAR: 2, QAR: 2, BND: 2, KHR: 2, LAK: 2, MMK: 2, MOP: 2, BDT: 2, LKR: 2, PKR: 2, NPR: 2,
  ZAR: 2, BRL: 2, MXN: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2, TRY: 2, ILS: 2, EGP: 2,
};

export function exponentOf(currency: string): number | undefined {
  return EXPONENTS[currency.toUpperCase()];
}

export interface AmountConfig {
  /** Unit of amounts in the gateway's answers and webhooks. */
  unit: "major" | "minor";
  /** The one currency a record is fixed to, where it is. */
  currency?: string;
  /** Decimals the gateway writes for that fixed currency's major amounts. */
  decimals?: number;
  /** Per-currency exponent the gateway counts its minor unit in, where it differs from ours. */
  exponents: Record<string, number>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export function amountConfig(provider: Provider): AmountConfig {
  const raw = isRecord(provider.config.amount) ? provider.config.amount : {};
  const exponents: Record<string, number> = {};
  if (isRecord(raw.exponents)) {
    for (const [code, value] of Object.entries(raw.exponents)) if (typeof value === "number" && Number.isInteger(value) && value >= 0) exponents[code.toUpperCase()] = value;
  }
  return {
    unit: raw.unit === "minor" ? "minor" : "major",
    currency: typeof raw.currency === "string" && raw.currency ? raw.currency.toUpperCase() : undefined,
    decimals: typeof raw.decimals === "number" && Number.isInteger(raw.decimals) ? raw.decimals : undefined,
    exponents,
  };
}

function vendorExponent(config: AmountConfig, currency: string, ours: number): number {
  return config.exponents[currency] ?? ours;
}

/** `minor` as an exact decimal string with `exponent` places ("150000", "10.50"). */
export function decimalString(minor: number, exponent: number): string {
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, "0");
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? "" : `.${digits.slice(-exponent)}`;
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** "IDR 150,000", "USD 10.50": for messages. */
export function money(minor: number, currency: string): string {
  const exponent = exponentOf(currency) ?? 2;
  const [whole = "0", fraction] = decimalString(minor, exponent).split(".");
  return `${currency.toUpperCase()} ${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction ? `.${fraction}` : ""}`;
}

/** An amount as the gateway's templates see it. */
export interface VendorAmount {
  /** Major units as a number (10.5, 150000). */
  major: number;
  /** Major units as a fixed-decimals string ("10.50", "150000"). */
  decimal: string;
  /** The gateway's minor unit (Stripe cents; an `exponents` override applied). */
  minor: number;
}

/** Converts a Sambung amount for the gateway; undefined when the currency is unknown. */
export function toVendor(provider: Provider, amount: number, currency: string): VendorAmount | undefined {
  const code = currency.toUpperCase();
  const ours = exponentOf(code);
  if (ours === undefined) return undefined;
  const config = amountConfig(provider);
  const theirs = vendorExponent(config, code, ours);
  const minor = theirs >= ours ? amount * 10 ** (theirs - ours) : Math.round(amount / 10 ** (ours - theirs));
  const decimals = config.currency === code && config.decimals !== undefined ? config.decimals : ours;
  const exact = decimalString(amount, ours);
  const decimal = decimals >= ours ? (decimals === ours ? exact : `${exact}${ours === 0 ? "." : ""}${"0".repeat(decimals - ours)}`) : Number(exact).toFixed(decimals);
  return { major: amount / 10 ** ours, decimal, minor };
}

/**
 * Reads an amount from a gateway answer or webhook (a number or a numeric string,
 * in the record's `amount.unit`) as a Sambung amount; undefined when it cannot.
 */
export function fromVendor(provider: Provider, value: unknown, currency: string | undefined): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) return undefined;
  const config = amountConfig(provider);
  const code = (currency ?? config.currency)?.toUpperCase();
  const ours = code === undefined ? undefined : exponentOf(code);
  if (config.unit === "minor") {
    if (code === undefined || ours === undefined) return Math.round(number);
    const theirs = vendorExponent(config, code, ours);
    return Math.round(theirs >= ours ? number / 10 ** (theirs - ours) : number * 10 ** (ours - theirs));
  }
  if (ours === undefined) return undefined;
  return Math.round(number * 10 ** ours);
}

function listOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const codes = value.filter((item): item is string => typeof item === "string" && item.trim() !== "").map((item) => item.trim().toUpperCase());
  return codes.length > 0 ? codes : undefined;
}

/** A per-currency limit: a number (for a record fixed to one currency) or `{ "IDR": 10000 }`, in Sambung minor units. */
function limitFor(value: unknown, currency: string, fixed: string | undefined): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return fixed === undefined || fixed === currency ? value : undefined;
  if (isRecord(value)) {
    const entry = value[currency] ?? value[currency.toLowerCase()];
    return typeof entry === "number" && Number.isFinite(entry) ? entry : undefined;
  }
  return undefined;
}

/** The currencies a record accepts: `config.currencies`, else its fixed `amount.currency`, else any. */
export function acceptedCurrencies(provider: Provider): string[] | undefined {
  const listed = listOf(provider.config.currencies);
  if (listed) return listed;
  const fixed = amountConfig(provider).currency;
  return fixed ? [fixed] : undefined;
}

/**
 * Why this record cannot take this amount, in words; undefined when it can.
 * Reads `config.currencies`, `config.amount`, `config.minimumAmount`, `config.maximumAmount`.
 */
export function amountProblem(provider: Provider, amount: number, currency: string): string | undefined {
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency)) {
    return `"${String(currency)}" is not a currency code; use ISO 4217, like IDR, USD or SGD`;
  }
  const code = currency.toUpperCase();
  const ours = exponentOf(code);
  if (ours === undefined) return `${code} is not a currency Sambung can count in; use ISO 4217 codes such as IDR, USD, SGD, MYR, THB or PHP`;
  if (typeof amount !== "number" || !Number.isInteger(amount) || amount <= 0) {
    const example = ours === 0 ? `${code} 150,000 is 150000` : `${code} 10.50 is ${10.5 * 10 ** ours}`;
    return `the amount must be a positive whole number of ${code}'s minor unit (${example}); ${String(amount)} is not`;
  }
  const accepted = acceptedCurrencies(provider);
  if (accepted && !accepted.includes(code)) {
    return `${provider.name} is set up for ${accepted.join(", ")} only; ${code} is not one of its currencies (config.currencies)`;
  }
  const config = amountConfig(provider);
  const theirs = vendorExponent(config, code, ours);
  if (theirs < ours && amount % 10 ** (ours - theirs) !== 0) {
    return `${provider.name} takes ${code} in steps of ${money(10 ** (ours - theirs), code)}; ${money(amount, code)} cannot be sent exactly`;
  }
  const minimum = limitFor(provider.config.minimumAmount, code, config.currency);
  if (minimum !== undefined && amount < minimum) {
    return `${money(amount, code)} is below ${provider.name}'s minimum of ${money(minimum, code)}`;
  }
  const maximum = limitFor(provider.config.maximumAmount, code, config.currency);
  if (maximum !== undefined && amount > maximum) {
    return `${money(amount, code)} is above ${provider.name}'s maximum of ${money(maximum, code)}`;
  }
  return undefined;
}
