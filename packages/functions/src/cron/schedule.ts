/**
 * EventBridge schedule expressions, for the local timer: `rate(5 minutes)` and
 * the six-field `cron(minutes hours day-of-month month day-of-week year)`, in UTC.
 */
export type Schedule = { kind: "rate"; everyMs: number } | { kind: "cron"; fields: CronFields };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number> | "any";
  months: Set<number>;
  daysOfWeek: Set<number> | "any";
  years: Set<number> | "any";
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export class ScheduleError extends Error {
  constructor(expression: string, why: string) {
    super(`schedule "${expression}" is not valid: ${why}`);
    this.name = "ScheduleError";
  }
}

function field(expression: string, raw: string, min: number, max: number, names: string[] = [], offset = 0): Set<number> {
  const values = new Set<number>();
  const toNumber = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const value = named >= 0 ? named + offset : Number(token);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ScheduleError(expression, `"${token}" is outside ${min}-${max}`);
    }
    return value;
  };
  for (const part of raw.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(expression, `bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === "*") {
      from = min;
      to = max;
    } else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      from = toNumber(a);
      to = toNumber(b);
    } else {
      from = toNumber(range);
      to = stepText === undefined ? from : max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const count = Number(rate[1]);
    const unit = (rate[2] ?? "").replace(/s$/, "");
    if (count < 1) throw new ScheduleError(expression, "the rate must be at least 1");
    if ((count === 1) !== (unit === rate[2])) throw new ScheduleError(expression, "use the singular unit only with 1");
    return { kind: "rate", everyMs: count * (UNIT_MS[unit] ?? 0) };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  const parts = cron?.[1]?.trim().split(/\s+/);
  if (!parts || parts.length !== 6) {
    throw new ScheduleError(expression, "expected rate(N unit) or cron(min hour day-of-month month day-of-week year)");
  }
  const [min = "", hour = "", dom = "", month = "", dow = "", year = ""] = parts;
  if ((dom === "?") === (dow === "?")) throw new ScheduleError(expression, "exactly one of day-of-month and day-of-week must be ?");
  return {
    kind: "cron",
    fields: {
      minutes: field(expression, min, 0, 59),
      hours: field(expression, hour, 0, 23),
      daysOfMonth: dom === "?" ? "any" : field(expression, dom, 1, 31),
      months: field(expression, month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === "?" ? "any" : field(expression, dow, 1, 7, DAYS, 1),
      years: year === "*" ? "any" : field(expression, year, 1970, 2199),
    },
  };
}

/** Whether a cron schedule fires in the UTC minute that contains `at`. */
export function cronMatches(fields: CronFields, at: Date): boolean {
  return (
    fields.minutes.has(at.getUTCMinutes()) &&
    fields.hours.has(at.getUTCHours()) &&
    fields.months.has(at.getUTCMonth() + 1) &&
    (fields.daysOfMonth === "any" || fields.daysOfMonth.has(at.getUTCDate())) &&
    // EventBridge numbers days of the week 1 (Sunday) to 7.
    (fields.daysOfWeek === "any" || fields.daysOfWeek.has(at.getUTCDay() + 1)) &&
    (fields.years === "any" || fields.years.has(at.getUTCFullYear()))
  );
}

/** The first time at or after `from` (ms) the schedule fires; rates count from `anchor`. */
export function nextRun(schedule: Schedule, from: number, anchor: number): number {
  if (schedule.kind === "rate") {
    const periods = Math.max(1, Math.ceil((from - anchor) / schedule.everyMs));
    return anchor + periods * schedule.everyMs;
  }
  let minute = Math.ceil(from / 60_000) * 60_000;
  // A valid expression fires at least once in four years (29 February); past that it never will.
  const limit = minute + 4 * 366 * 86_400_000;
  for (; minute <= limit; minute += 60_000) {
    if (cronMatches(schedule.fields, new Date(minute))) return minute;
  }
  return Number.POSITIVE_INFINITY;
}
