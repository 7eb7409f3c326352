import { cpus } from "node:os";
import { Template } from "aws-cdk-lib/assertions";
import { App, Function as SstFunction, getStack, use, useFunctions, type FunctionProps, type StaticSite } from "sst/constructs";
import { initProject } from "sst/project.js";
import { Alarms } from "../../infra/alarms.ts";
import { Api, apiStack } from "../../infra/api.ts";
import { Events } from "../../infra/events.ts";
import { FUNCTION_DEFAULTS } from "../../infra/function.ts";
import { Jobs } from "../../infra/jobs.ts";
import { Storage } from "../../infra/storage.ts";
import { Web } from "../../infra/web.ts";
import type { Route } from "../../packages/functions/src/routes.ts";
import config from "../../sst.config.ts";

export const STAGE = "test";
export const REGION = "ap-southeast-1";
export const ACCOUNT = "123456789012";
export const ADMIN_ORIGIN = "https://admin.sambung.test";

/**
 * Whether synth bundles the functions, as `sst deploy` does (SST's app.finish()).
 * Bundling is nearly all of the synth time, one to three seconds per function on
 * two cores (53 functions: 60-150 s), so by default the tests skip it the way SST's own
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

/** The stacks sst.config.ts names, and one per route group: "api-admin", "api-v1", ... */
export type Templates = Record<keyof typeof STACKS, Template> & Record<`api-${string}`, Template>;

export interface Synthesized extends Templates {
  /** Each function's SST props (defaults merged), by its description: what SST bundles it with. */
  functionProps: Map<string, FunctionProps>;
  /** The admin StaticSite as declared (the web stack is not built here), if packages/web exists. */
  site: StaticSite | undefined;
  /** The same templates, as one record. */
  templates: Templates;
  /** The route groups' stacks' templates, by group ("admin", "v1", ...). */
  routeStacks: Record<string, Template>;
  /** Milliseconds: the whole synth, and the part of it spent bundling functions. */
  ms: { total: number; bundling: number };
}

/** An SST app as `sst deploy` makes it, offline: no credentials, no lookups. */
async function offlineApp(): Promise<App> {
  process.env.AWS_REGION = REGION;
  process.env.CDK_DEFAULT_REGION = REGION;
  process.env.CDK_DEFAULT_ACCOUNT = ACCOUNT;
  process.env.SAMBUNG_ADMIN_ORIGIN = ADMIN_ORIGIN;
  // SST bundles cores - 1 functions at a time; esbuild waits on I/O enough that more pays off.
  process.env.SST_BUILD_CONCURRENCY ??= String(Math.max(4, cpus().length));
  await initProject({ stage: STAGE, region: REGION });
  return new App({
    mode: "deploy",
    stage: STAGE,
    name: "sambung",
    region: REGION,
    account: ACCOUNT,
    isActiveStack: (stackName: string) => !INACTIVE_STACKS.some((name) => stackName === `${STAGE}-sambung-${name}`),
  });
}

/**
 * The storage, events and API stacks for another route table (a synthetic one, to
 * see how the stacks grow), with the app's function defaults; no bundling. Returns
 * each stack's template: "storage", "events", "api", "api-<group>".
 */
export async function synthesizeRoutes(table: readonly Route[]): Promise<Record<string, Template>> {
  const app = await offlineApp();
  app.setDefaultFunctionProps(FUNCTION_DEFAULTS);
  const SyntheticApi = apiStack(table, { writeEntries: false });
  app.stack(Storage).stack(Events).stack(SyntheticApi);
  return {
    storage: Template.fromStack(getStack(Storage)),
    events: Template.fromStack(getStack(Events)),
    api: Template.fromStack(getStack(SyntheticApi)),
    ...Object.fromEntries(Object.entries(use(SyntheticApi).routeStacks).map(([group, stack]) => [`api-${group}`, Template.fromStack(stack)])),
  };
}

/**
 * Synthesizes the app as `sst deploy` does: sst.config.ts's stacks(), then (when
 * BUNDLED) app.finish(), which bundles every function with SST's esbuild. Offline:
 * no credentials and no lookups. Under vitest NODE_ENV is "test", which SST takes as
 * "running in a test" and so skips its bootstrap-bucket lookup and sourcemap upload.
 */
export async function synthesize(): Promise<Synthesized> {
  const started = performance.now();
  const app = await offlineApp();
  await config.stacks(app);
  const bundlingStarted = performance.now();
  if (BUNDLED) await app.finish();
  const bundling = performance.now() - bundlingStarted;
  const routeStacks = Object.fromEntries(
    Object.entries(use(Api).routeStacks).map(([group, stack]) => [group, Template.fromStack(stack)]),
  );
  const templates = {
    ...Object.fromEntries(Object.entries(STACKS).map(([name, fn]) => [name, Template.fromStack(getStack(fn))])),
    ...Object.fromEntries(Object.entries(routeStacks).map(([group, template]) => [`api-${group}`, template])),
  } as Templates;
  const functionProps = new Map<string, FunctionProps>();
  for (const construct of app.node.findAll()) {
    if (!(construct instanceof SstFunction)) continue;
    const merged = useFunctions().fromID(construct.node.addr);
    if (merged?.description) functionProps.set(merged.description, merged);
  }
  return { ...templates, templates, routeStacks, functionProps, site: getStack(Web).node.tryFindChild("Admin") as StaticSite | undefined, ms: { total: performance.now() - started, bundling } };
}

/** CloudFormation's per-stack quotas (a template over 51 KB goes through S3, up to 1 MB). */
export const QUOTA = { resources: 500, outputs: 200, kb: 1024 };

/** The share of each quota a stack may use in these tests, so they fail well before a deploy would. */
export const HEADROOM = 0.8;

export interface QuotaUsage {
  stack: string;
  resources: number;
  outputs: number;
  kb: number;
  line: string;
}

export function quotaUsage(templates: Record<string, Template>): QuotaUsage[] {
  return Object.entries(templates).map(([stack, template]) => {
    const json = template.toJSON() as { Resources: Record<string, unknown>; Outputs?: Record<string, unknown> };
    const resources = Object.keys(json.Resources).length;
    const outputs = Object.keys(json.Outputs ?? {}).length;
    const kb = JSON.stringify(json).length / 1024;
    const line = `${stack} ${resources}/${QUOTA.resources} resources, ${outputs}/${QUOTA.outputs} outputs, ${kb.toFixed(0)} KB`;
    return { stack, resources, outputs, kb, line };
  });
}
