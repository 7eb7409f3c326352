import type { LocalPorts } from "@sambung/core/adapters/local/index";
import { queues, type QueueName } from "@sambung/core/event/queues";
import type { Clock } from "@sambung/core/port";
import type { WorkerState } from "@sambung/core/telemetry/system-health";
import { cronJobs } from "../cron/table.ts";
import type { WorkerHandler } from "../middleware/worker.ts";
import { workers } from "../workers/table.ts";
import { CronTimer } from "./cron-timer.ts";
import { loadHandler } from "./handlers.ts";
import { startExpirySweep } from "./expiry-sweep.ts";
import { startOutboxLoop } from "./outbox-loop.ts";
import { QueuePoller } from "./pollers.ts";

/** The hub's work off the request path: the outbox dispatcher, a poller per queue calling its SQS worker, the cron timer and the expiry sweep. */
export interface Background {
  pollers: Map<QueueName, QueuePoller>;
  cron: CronTimer;
  states(): Record<string, WorkerState>;
  /** Stops polling and scheduling and waits for the batches, jobs and outbox pass in hand. */
  stop(): Promise<void>;
}

/** Starts the background work on `ports` in this thread; with `run: false` the pollers and cron stay idle (the outbox still drains). */
export async function startBackground(ports: LocalPorts, clock: Clock, options: { run: boolean }): Promise<Background> {
  const pollers = new Map<QueueName, QueuePoller>();
  for (const name of Object.keys(workers) as QueueName[]) {
    const handler = await loadHandler<WorkerHandler>(workers[name].handler);
    pollers.set(name, new QueuePoller(name, queues[name], ports.queue, ports.database, clock, handler));
  }
  const outbox = startOutboxLoop(ports);
  const cron = new CronTimer(cronJobs, clock);
  let expiry: { stop: () => Promise<void> } | undefined;
  if (options.run) {
    for (const poller of pollers.values()) poller.start();
    cron.start();
    expiry = startExpirySweep(ports);
  }
  return {
    pollers,
    cron,
    states: () => Object.fromEntries([...pollers].map(([name, poller]) => [name, { ...poller.state }])),
    stop: async () => {
      await Promise.all([...pollers.values()].map((poller) => poller.stop()));
      await cron.stop();
      await expiry?.stop();
      await outbox.stop();
    },
  };
}
