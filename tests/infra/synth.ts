import { cpus } from "node:os";
import { Template } from "aws-cdk-lib/assertions";
import { App, Function as SstFunction, getStack, useFunctions, type FunctionProps, type StaticSite } from "sst/constructs";
import { initProject } from "sst/project.js";
import { Alarms } from "../../infra/alarms.ts";
import { Api } from "../../infra/api.ts";
import { Events } from "../../infra/events.ts";
import { Jobs } from "../../infra/jobs.ts";
import { Storage } from "../../infra/storage.ts";
import { Web } from "../../infra/web.ts";
import config from "../../sst.config.ts";

export const STAGE = "test";
export const REGION = "ap-southeast-1";
export const ACCOUNT = "123456789012";
export const ADMIN_ORIGIN = "https://admin.sambung.test";

/**
 * Whether synth bundles the functions, as `sst deploy` does (SST's app.finish()).
 * Bundling is nearly all of the synth time, about a second per function on two
 * cores (61 functions: ~60 s), so by default the tests skip it the way SST's own
 * stack tests do: no finish(), and the functions keep SST's inline placeholder
 * code. SAMBUNG_INFRA_BUNDLE=1 bundles every function and checks the bundles too.
 * (tests/bench/bundles.ts bundles every handler module with the same options.)
 */
export const BUNDLED = process.env.SAMBUNG_INFRA_BUNDLE === "1";

/**
 * The web stack is synthesized inactive (SST's `isActiveStack`): its StaticSite is
 * declared but not built, so these tests never run the SPA's `npm run build`.
 */
export const INACTIVE_STACKS = ["Web"];

const STACKS = { storage: Storage, events: Events, api: Api, web: Web, jobs: Jobs, alarms: Alarms };

export type Templates = Record<keyof typeof STACKS, Template>;

export interface Synthesized extends Templates {
  /** Each function's SST props (defaults merged), by its description: what SST bundles it with. */
  functionProps: Map<string, FunctionProps>;
  /** The admin StaticSite as declared (the web stack is not built here), if packages/web exists. */
  site: StaticSite | undefined;
  /** The same templates, as one record. */
  templates: Templates;
  /** Milliseconds: the whole synth, and the part of it spent bundling functions. */
  ms: { total: number; bundling: number };
}

/**
 * Synthesizes the app as `sst deploy` does: sst.config.ts's stacks(), then (when
 * BUNDLED) app.finish(), which bundles every function with SST's esbuild. Offline:
 * no credentials and no lookups. Under vitest NODE_ENV is "test", which SST takes as
 * "running in a test" and so skips its bootstrap-bucket lookup and sourcemap upload.
 */
export async function synthesize(): Promise<Synthesized> {
  const started = performance.now();
  process.env.AWS_REGION = REGION;
  process.env.CDK_DEFAULT_REGION = REGION;
  process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
  process.env.SAMBUNG_ADMIN_ORIGIN = ADMIN_ORIGIN;
  // SST bundles cores - 1 functions at a time; esbuild waits on I/O enough that more pays off.
  process.env.SST_BUILD_CONCURRENCY ??= String(Math.max(4, cpus().length));
  await initProject({ stage: STAGE, region: REGION });
  const app = new App({
    mode: "deploy",
    stage: STAGE,
    name: "sambung",
    region: REGION,
    account: ACCOUNT,
    isActiveStack: (stackName: string) => !INACTIVE_STACKS.some((name) => stackName === `${STAGE}-sambung-${name}`),
  });
  await config.stacks(app);
  const bundlingStarted = performance.now();
  if (BUNDLED) await app.finish();
  const bundling = performance.now() - bundlingStarted;
  const templates = Object.fromEntries(
    Object.entries(STACKS).map(([name, fn]) => [name, Template.fromStack(getStack(fn))]),
  ) as Templates;
  const functionProps = new Map<string, FunctionProps>();
  for (const construct of app.node.findAll()) {
    if (!(construct instanceof SstFunction)) continue;
    const merged = useFunctions().fromID(construct.node.addr);
    if (merged?.description) functionProps.set(merged.description, merged);
  }
  return { ...templates, templates, functionProps, site: getStack(Web).node.tryFindChild("Admin") as StaticSite | undefined, ms: { total: performance.now() - started, bundling } };
}
