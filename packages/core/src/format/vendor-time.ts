/**
 * Timestamps as vendors write them, read into ISO-8601 UTC. Records say how a
 * vendor writes a time with a pattern and a zone (Midtrans: `YYYY-MM-DD HH:mm:ss`
 * in +07:00); without them, only times that carry their own offset are read,
 * because a wall-clock time without a zone could be off by hours.
 */

export interface VendorTimeFormat {
  /**
   * `iso` (default: ISO-8601 with an offset or Z), `epochSeconds`, `epochMillis`,
   * or a pattern of YYYY, MM, DD, HH, mm, ss and literal characters
   * (`YYYY-MM-DD HH:mm:ss`, `YYYYMMDDHHmmss`).
   */
  format?: string;
  /** The zone of times written without an offset: `+07:00`, `+0700`, `Z` or `UTC`. */
  timezone?: string;
}

const TOKENS: Record<string, string> = { YYYY: "(?<year>\\d{4})", MM: "(?<month>\\d{2})", DD: "(?<day>\\d{2})", HH: "(?<hour>\\d{2})", mm: "(?<minute>\\d{2})", ss: "(?<second>\\d{2})" };
/** A trailing offset a vendor may add to any pattern: `Z`, `+07:00`, `+0700`, ` +0700`. */
const OFFSET = "\\s*(?<offset>Z|[+-]\\d{2}:?\\d{2})?";

const patterns = new Map<string, RegExp>();

function patternRegex(format: string): RegExp {
  let regex = patterns.get(format);
  if (!regex) {
    const source = format.replace(/YYYY|MM|DD|HH|mm|ss|[^A-Za-z]/g, (part) => TOKENS[part] ?? part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    regex = new RegExp(`^${source}(?:\\.\\d{1,9})?${OFFSET}$`);
    patterns.set(format, regex);
  }
  return regex;
}

/** An offset in minutes east of UTC, or undefined when the text is not one. */
export function offsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  const text = zone.trim();
  if (text === "Z" || text.toUpperCase() === "UTC") return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

function fromEpoch(value: unknown, unit: "seconds" | "millis"): string | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0) return undefined;
  const date = new Date(unit === "seconds" ? number * 1000 : number);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A vendor's timestamp as ISO-8601 UTC, or undefined when it cannot be read without guessing. */
export function parseVendorTime(value: unknown, spec: VendorTimeFormat = {}): string | undefined {
  const format = spec.format ?? "iso";
  if (format === "epochSeconds") return fromEpoch(value, "seconds");
  if (format === "epochMillis") return fromEpoch(value, "millis");
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const text = value.trim();
  const regex = format === "iso" ? /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[T ](?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2}))?(?:\.\d{1,9})?\s*(?<offset>Z|[+-]\d{2}:?\d{2})?$/ : patternRegex(format);
  const groups = regex.exec(text)?.groups;
  if (!groups) return undefined;
  const offset = offsetMinutes(groups.offset) ?? offsetMinutes(spec.timezone);
  if (offset === undefined) return undefined;
  const [year, month, day, hour, minute, second] = [groups.year, groups.month, groups.day, groups.hour, groups.minute, groups.second].map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  const date = new Date(utc);
  // Date.UTC rolls 31 February into March: a day the month does not have is not a date.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  return date.toISOString();
}
