import { ManualClock } from "@sambung/core/adapters/clock";
import { cronJobs } from "@sambung/functions/cron/table";
import { nextRun, parseSchedule } from "@sambung/functions/cron/schedule";
import { CronTimer } from "@sambung/functions/local/cron-timer";
import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { usePorts } from "@sambung/functions/ports";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";

const at = (iso: string) => Date.parse(iso);

describe("schedule expressions", () => {
  it("parses every entry of the cron table", () => {
    for (const job of cronJobs) expect(() => parseSchedule(job.schedule)).not.toThrow();
  });

  it("runs rates from their anchor", () => {
    const schedule = parseSchedule("rate(5 minutes)");
    const anchor = at("2026-01-01T00:00:00Z");
    expect(nextRun(schedule, anchor + 1, anchor)).toBe(anchor + 5 * 60_000);
    expect(nextRun(schedule, anchor + 5 * 60_000 + 1, anchor)).toBe(anchor + 10 * 60_000);
  });

  it("finds the next cron minute in UTC, with EventBridge's day-of-week numbering", () => {
    // 03:30 every Monday (2 in EventBridge's 1 = Sunday numbering); 2026-01-05 is a Monday.
    const mondays = parseSchedule("cron(30 3 ? * MON *)");
    expect(new Date(nextRun(mondays, at("2026-01-01T00:00:00Z"), 0)).toISOString()).toBe("2026-01-05T03:30:00.000Z");
    const numeric = parseSchedule("cron(30 3 ? * 2 *)");
    expect(nextRun(numeric, at("2026-01-01T00:00:00Z"), 0)).toBe(nextRun(mondays, at("2026-01-01T00:00:00Z"), 0));
    const quarterly = parseSchedule("cron(0/15 * * JAN-MAR ? 2026)");
    expect(new Date(nextRun(quarterly, at("2026-03-31T23:40:00Z"), 0)).toISOString()).toBe("2026-03-31T23:45:00.000Z");
    expect(nextRun(quarterly, at("2026-03-31T23:50:00Z"), 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses expressions EventBridge would refuse, saying why", () => {
    expect(() => parseSchedule("every 5 minutes")).toThrow(/expected rate/);
    expect(() => parseSchedule("rate(1 minutes)")).toThrow(/singular/);
    expect(() => parseSchedule("cron(0 3 * * * *)")).toThrow(/exactly one of/);
    expect(() => parseSchedule("cron(61 3 * * ? *)")).toThrow(/outside 0-59/);
  });
});

describe("the cron timer", () => {
  it("starts a job when due and not again until its next run", async () => {
    const clock = new ManualClock(at("2026-01-01T00:00:00Z"));
    const dir = tempDir();
    usePorts(createLocalPorts(dir.path, clock));
    const timer = new CronTimer([{ ...cronJobs[0], schedule: "rate(15 minutes)" }], clock);
    expect(timer.tick()).toEqual([]);
    clock.advance(15 * 60_000);
    expect(timer.tick()).toEqual(["dead-letter-watch"]);
    expect(timer.tick()).toEqual([]);
    await timer.settle();
    clock.advance(15 * 60_000);
    expect(timer.tick()).toEqual(["dead-letter-watch"]);
    await timer.stop();
    dir.remove();
  });
});
