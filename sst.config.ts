import type { SSTConfig } from "sst";
import { Alarms } from "./infra/alarms.ts";
import { Api } from "./infra/api.ts";
import { Events } from "./infra/events.ts";
import { FUNCTION_DEFAULTS } from "./infra/function.ts";
import { Jobs } from "./infra/jobs.ts";
import { Storage } from "./infra/storage.ts";
import { Web } from "./infra/web.ts";

/**
 * The AWS deployment (SST v2 on CDK): `npx sst deploy --stage <name>`; see
 * docs/deploy.md. The stacks are generated from the route, queue, worker, cron and
 * event tables; nothing here lists a route, queue or job.
 */
export default {
  config(input) {
    return { name: "sambung", region: input.region ?? "ap-southeast-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps(FUNCTION_DEFAULTS);
    app.stack(Storage).stack(Events).stack(Api).stack(Web).stack(Jobs).stack(Alarms);
  },
} satisfies SSTConfig;
