import type { Grant, HandlerRef } from "../grants.ts";

export interface CronJob {
  name: string;
  /** EventBridge schedule expression: rate(5 minutes) or cron(0 3 * * ? *). */
  schedule: string;
  handler: HandlerRef;
  grants: readonly Grant[];
  description: string;
}

/** Scheduled jobs: EventBridge schedules on AWS, the in-process timer locally. */
export const cronJobs = [
  {
    name: "dead-letter-watch",
    schedule: "rate(15 minutes)",
    handler: "cron/dead-letter-watch.handler",
    grants: ["queues"],
    description: "Logs a warning for every dead-letter queue that holds messages, for log-based alerting",
  },
  {
    name: "reconcile-payments",
    schedule: "rate(15 minutes)",
    handler: "cron/reconcile-payments.handler",
    grants: ["table:write", "keyring"],
    description: "Asks gateways about payments still pending past expiry; settles what they settled, flags disagreements",
  },
  {
    name: "provider-health-watch",
    schedule: "rate(5 minutes)",
    handler: "cron/provider-health-watch.handler",
    grants: ["table:write"],
    description: "Raises provider.alerting once per incident for providers whose failure rate over the last hour exceeds 5%",
  },
  {
    name: "pull-channel-bookings",
    schedule: "rate(5 minutes)",
    handler: "cron/pull-channel-bookings.handler",
    grants: ["table:read", "queues"],
    description: "Queues a booking pull for every OTA channel connection (new, modified and cancelled bookings, stored once, then acknowledged)",
  },
] as const satisfies readonly CronJob[];
