/**
 * Stay dates are calendar days at the property (no time zone arithmetic): a day
 * is its number since 1970-01-01, so ranges are integer runs and months are keys.
 */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** "2026-03-01" → its day number. */
export function dayOf(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** Day number → "2026-03-01". */
export function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day a clock reading falls on (UTC; a day of slack is allowed where "today" matters). */
export function dayAt(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** "2026-03" for a day number. */
export function monthOf(day: number): string {
  return isoOf(day).slice(0, 7);
}

/** First day number of a month key. */
export function monthStart(month: string): number {
  return dayOf(`${month}-01`);
}

/** Days in a month key. */
export function monthLength(month: string): number {
  const [year, mon] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, mon, 0)).getUTCDate();
}

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** 0 = Sunday, as Date#getUTCDay. */
export function weekdayOf(day: number): number {
  return (day + 4) % 7;
}
