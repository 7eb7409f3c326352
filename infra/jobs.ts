import { Cron, use, type Function as SstFunction, type StackContext } from "sst/constructs";
import { cronJobs } from "../packages/functions/src/cron/table.ts";
import { Events } from "./events.ts";
import { functionProps, pascal, sourceHandler } from "./function.ts";

const JOB_TIMEOUT_SECONDS = 120;

type Schedule = `rate(${string})` | `cron(${string})`;

function schedule(expression: string): Schedule {
  if (/^(rate|cron)\(.+\)$/.test(expression)) return expression as Schedule;
  throw new Error(`cron table: "${expression}" is not an EventBridge schedule expression (rate(...) or cron(...))`);
}

/** Every job of the cron table as an EventBridge schedule rule and its function. */
export function Jobs({ stack }: StackContext) {
  const { resources } = use(Events);
  const jobs: Record<string, SstFunction> = {};
  for (const job of cronJobs) {
    if (job.name in jobs) throw new Error(`cron job ${job.name} is in the cron table twice`);
    const cron = new Cron(stack, `${pascal(job.name)}Cron`, {
      schedule: schedule(job.schedule),
      job: {
        function: functionProps(
          stack,
          {
            id: `Cron${pascal(job.name)}`,
            handler: sourceHandler(job.handler),
            grants: job.grants,
            timeout: JOB_TIMEOUT_SECONDS,
            description: `cron ${job.name}`,
          },
          resources,
        ),
      },
      cdk: { rule: { description: job.description } },
    });
    jobs[job.name] = cron.jobFunction;
  }
  return { jobs };
}
