import { useMemo } from "react";
import { useI18n } from "./i18n.tsx";
import { useMe } from "./me.tsx";

/** Times in the tenant's time zone, words in the chosen language. */
export interface Formatters {
  timeZone: string;
  dateTime(value: string | number | undefined): string;
  time(value: string | number | undefined): string;
  relative(value: string | number | undefined): string;
  age(seconds: number): string;
  number(value: number, digits?: number): string;
  percent(ratio: number): string;
  ms(value: number | undefined | null): string;
  money(amount: number, currency: string): string;
}

const WHOLE = new Set(["IDR", "JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "XPF", "BIF", "DJF", "GNF", "KMF", "RWF", "VUV"]);
const THREE = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

/** Decimal places of Sambung's minor unit for a currency (the same table as the payment engine). */
export function exponentOf(currency: string): number {
  const code = currency.toUpperCase();
  return WHOLE.has(code) ? 0 : THREE.has(code) ? 3 : 2;
}

export function makeFormatters(locale: string, timeZone: string): Formatters {
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone });
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const integer = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const unit = (value: number, name: "second" | "minute" | "hour" | "day") =>
    new Intl.NumberFormat(locale, { style: "unit", unit: name, unitDisplay: "short", maximumFractionDigits: 0 }).format(value);
  const toDate = (value: string | number) => (typeof value === "number" ? new Date(value) : new Date(value));
  return {
    timeZone,
    dateTime: (value) => (value === undefined ? "—" : dateTime.format(toDate(value))),
    time: (value) => (value === undefined ? "—" : time.format(toDate(value))),
    relative: (value) => {
      if (value === undefined) return "—";
      const seconds = Math.round((toDate(value).getTime() - Date.now()) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 45) return relative.format(0, "second");
      if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), "minute");
      if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), "hour");
      return relative.format(Math.round(seconds / 86400), "day");
    },
    age: (seconds) => {
      if (seconds < 90) return unit(seconds, "second");
      if (seconds < 90 * 60) return unit(seconds / 60, "minute");
      if (seconds < 36 * 3600) return unit(seconds / 3600, "hour");
      return unit(seconds / 86400, "day");
    },
    number: (value, digits = 0) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value),
    percent: (ratio) => percent.format(ratio),
    ms: (value) => (value === undefined || value === null ? "—" : `${integer.format(Math.round(value))} ms`),
    money: (amount, currency) => {
      // Amounts are integers in Sambung's minor unit (IDR, JPY, KRW, VND count whole units).
      const exponent = exponentOf(currency);
      try {
        return new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent }).format(amount / 10 ** exponent);
      } catch {
        return `${integer.format(amount)} ${currency}`;
      }
    },
  };
}

export function useFormat(): Formatters {
  const { locale } = useI18n();
  const timeZone = useMe()?.tenant.timeZone ?? "Asia/Jakarta";
  return useMemo(() => makeFormatters(locale, timeZone), [locale, timeZone]);
}

/** JSON indented for reading; anything else as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
