import type { Clock } from "@sambung/core/port";
import type { ScheduledEvent } from "aws-lambda";
import { randomUUID } from "node:crypto";
import type { CronJob } from "../cron/table.ts";
import { nextRun, parseSchedule, type Schedule } from "../cron/schedule.ts";
import { logger } from "../log.ts";
import { loadHandler } from "./handlers.ts";
import { lambdaContext } from "./lambda-context.ts";

const TICK_MS = 1000;

interface Planned {
  job: CronJob;
  schedule: Schedule;
  due: number;
  running: boolean;
}

/** Runs the cron table in-process: each job when due, never two runs of one job at once. */
export class CronTimer {
  private readonly planned: Planned[];
  private timer: NodeJS.Timeout | undefined;
  private readonly active = new Set<Promise<void>>();
  private readonly clock: Clock;

  constructor(jobs: readonly CronJob[], clock: Clock) {
    this.clock = clock;
    const now = clock.now();
    this.planned = jobs.map((job) => {
      const schedule = parseSchedule(job.schedule);
      return { job, schedule, due: nextRun(schedule, now + 1, now), running: false };
    });
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Starts every job that is due; returns the names started (tests call it directly). */
  tick(): string[] {
    const now = this.clock.now();
    const started: string[] = [];
    for (const plan of this.planned) {
      if (plan.running || plan.due > now) continue;
      plan.running = true;
      plan.due = nextRun(plan.schedule, now + 1, plan.due);
      started.push(plan.job.name);
      const run = this.run(plan.job, now).finally(() => {
        plan.running = false;
        this.active.delete(run);
      });
      this.active.add(run);
    }
    return started;
  }

  private async run(job: CronJob, now: number): Promise<void> {
    const event: ScheduledEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      time: new Date(now).toISOString(),
      region: "local",
      resources: [`arn:aws:events:local:000000000000:rule/sambung-${job.name}`],
      detail: {},
    };
    try {
      const handler = await loadHandler<(event: ScheduledEvent, context: unknown) => Promise<unknown>>(job.handler);
      await handler(event, lambdaContext(`cron-${job.name}`, 15 * 60_000));
    } catch (error) {
      logger.error("scheduled job failed", { job: job.name, error: error as Error });
    }
  }

  /** Waits for the runs in progress. */
  async settle(): Promise<void> {
    await Promise.all(this.active);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.settle();
  }
}
