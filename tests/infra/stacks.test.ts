import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Runtime as LambdaRuntime } from "aws-cdk-lib/aws-lambda";
import { App as CdkApp, Stack } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Table } from "aws-cdk-lib/aws-dynamodb";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_AGE_ALARM_SECONDS } from "../../infra/alarms.ts";
import { STREAM_TIMEOUT_SECONDS, THROTTLE } from "../../infra/api.ts";
import { entryHandler, planRouteFunctions, planStreamFunctions, streamEntryHandler, streamEntrySource, type StreamFunction } from "../../infra/route-functions.ts";
import { OUTBOX_DETAIL_TYPE_PATH, OUTBOX_FILTER, OUTBOX_INPUT_TEMPLATE } from "../../infra/events.ts";
import { HANDLER_ROOT, NODE_TARGET } from "../../infra/bundling.ts";
import { FUNCTION_DEFAULTS } from "../../infra/function.ts";
import { keyringRolePath, statementsFor } from "../../infra/grants.ts";
import type { Resources } from "../../infra/resources.ts";
import { WEB_PATH } from "../../infra/web.ts";
import { EVENT_SOURCE } from "../../packages/core/src/adapters/aws/bus.ts";
import { AI_TIMEOUT_MS } from "../../packages/core/src/resilience/policy.ts";
import { AwsEnv } from "../../packages/core/src/adapters/aws/env.ts";
import { routesByQueue } from "../../packages/core/src/event/catalog.ts";
import { queueNames, queues } from "../../packages/core/src/event/queues.ts";
import { cronJobs } from "../../packages/functions/src/cron/table.ts";
import { handlerFile, type Grant } from "../../packages/functions/src/grants.ts";
import { routeKey, routes } from "../../packages/functions/src/routes.ts";
import { workers } from "../../packages/functions/src/workers/table.ts";
import { ADMIN_ORIGIN, BUNDLED, HEADROOM, QUOTA, quotaUsage, STAGE, synthesize, type Synthesized, type Templates } from "./synth.ts";
import { TABLE_KEYS } from "../support/table-keys.ts";

const require = createRequire(import.meta.url);

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

interface PolicyDocument {
  Statement: Statement[];
}

/**
 * The documented exceptions to "no `*` resource": actions whose service has no
 * resource-level permissions at all. Lambda's active tracing adds these two to every
 * function role (X-Ray accepts only "*").
 */
const UNSCOPABLE_ACTIONS = new Set(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);

/**
 * The one managed policy in the app: SST creates a custom-resource handler in every
 * stack (used for site uploads) whose role has the AWS basic execution policy.
 * No function of ours has a managed policy.
 */
const SST_HANDLER_ROLE = /^CustomResourceHandlerServiceRole/;
const BASIC_EXECUTION = ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

interface FunctionSpec {
  description: string;
  /** SST's handler: the module path under the project root and the export. */
  handler: string;
  grants: readonly Grant[];
  stack: keyof Templates;
  /** A streaming route's Function URL function (not behind API Gateway). */
  stream?: StreamFunction;
}

/** The route functions as infra/route-functions.ts plans them: per group, one per handler module and grant set. */
const routeFunctions = [...planRouteFunctions(routes).values()].flat();

/** The streaming routes' Function URL functions, one per route with `stream`. */
const streamFunctions = planStreamFunctions(routes);

/** Every function the tables call for: route functions, streaming route functions, a worker per queue, a function per cron job. */
const specs: FunctionSpec[] = [
  ...routeFunctions.map((plan) => ({
    description: plan.description,
    handler: entryHandler(plan.module),
    grants: plan.grants,
    stack: `api-${plan.group}` as const,
  })),
  ...streamFunctions.map((stream) => ({
    description: stream.description,
    handler: streamEntryHandler(stream),
    grants: stream.grants,
    stack: `api-${stream.group}` as const,
    stream,
  })),
  ...Object.entries(workers).map(([queue, worker]) => ({
    description: `worker ${queue}`,
    handler: `${HANDLER_ROOT}/${worker.handler}`,
    grants: worker.grants,
    stack: "events" as const,
  })),
  ...cronJobs.map((job) => ({
    description: `cron ${job.name}`,
    handler: `${HANDLER_ROOT}/${job.handler}`,
    grants: job.grants,
    stack: "jobs" as const,
  })),
];


function resourcesOf(template: Template, type?: string): [string, Resource][] {
  const all = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  return Object.entries(all).filter(([, resource]) => type === undefined || resource.Type === type);
}

function one(template: Template, type: string, predicate: (resource: Resource, id: string) => boolean): [string, Resource] {
  const found = resourcesOf(template, type).filter(([id, resource]) => predicate(resource, id));
  expect(found, `${type} matching the predicate`).toHaveLength(1);
  return found[0] as [string, Resource];
}

function props<T>(resource: Resource): T {
  return resource.Properties as T;
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function text(value: unknown): string {
  return JSON.stringify(value);
}

/** The logical id a `{ Ref }` / `{ Fn::GetAtt }` points at. */
function target(value: unknown): string | undefined {
  const ref = value as { Ref?: string; "Fn::GetAtt"?: [string, string] };
  return ref.Ref ?? ref["Fn::GetAtt"]?.[0];
}

/** Every Allow/Deny statement of every identity policy, with what holds it. */
function identityStatements(templates: Templates) {
  const found: { stack: string; id: string; roles: string[]; statement: Statement }[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, resource] of resourcesOf(template)) {
      const docs: { doc: PolicyDocument; roles: string[] }[] = [];
      if (resource.Type === "AWS::IAM::Policy" || resource.Type === "AWS::IAM::ManagedPolicy") {
        const { PolicyDocument, Roles } = props<{ PolicyDocument: PolicyDocument; Roles?: unknown[] }>(resource);
        docs.push({ doc: PolicyDocument, roles: list(Roles).map((role) => target(role) ?? text(role)) });
      }
      if (resource.Type === "AWS::IAM::Role") {
        for (const policy of props<{ Policies?: { PolicyDocument: PolicyDocument }[] }>(resource).Policies ?? []) {
          docs.push({ doc: policy.PolicyDocument, roles: [id] });
        }
      }
      for (const { doc, roles } of docs) for (const statement of doc.Statement) found.push({ stack, id, roles, statement });
    }
  }
  return found;
}

/** The subset of EventBridge pattern matching the pipe filter uses: literal lists, `exists`, nesting. */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((option) => {
      if (typeof option === "object" && option !== null && "exists" in option) {
        return (option as { exists: boolean }).exists === (value !== undefined && typeof value !== "object");
      }
      return option === value;
    });
  }
  if (typeof pattern === "object" && pattern !== null) {
    const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    return Object.entries(pattern).every(([key, sub]) => matches(sub, record[key]));
  }
  return false;
}

let synth: Synthesized;
let functions: Map<string, { id: string; resource: Resource; stack: keyof Templates }>;

function templateOf(stack: keyof Templates): Template {
  const template = synth.templates[stack];
  if (!template) throw new Error(`no stack ${stack}`);
  return template;
}

/** Every API route resource, in whichever stack it is. */
function routeResources(): { stack: keyof Templates; id: string; resource: Resource }[] {
  return (Object.entries(synth.templates) as [keyof Templates, Template][]).flatMap(([stack, template]) =>
    resourcesOf(template, "AWS::ApiGatewayV2::Route").map(([id, resource]) => ({ stack, id, resource })),
  );
}

beforeAll(async () => {
  synth = await synthesize();
  console.log(`infra synth: ${(synth.ms.total / 1000).toFixed(1)} s; ${BUNDLED ? `bundling ${specs.length} functions took ${(synth.ms.bundling / 1000).toFixed(1)} s of it` : "bundling skipped (SAMBUNG_INFRA_BUNDLE=1 bundles)"}`);
  functions = new Map();
  for (const [stack, template] of Object.entries(synth.templates) as [keyof Templates, Template][]) {
    for (const [id, resource] of resourcesOf(template, "AWS::Lambda::Function")) {
      const description = props<{ Description?: string }>(resource).Description;
      // SST's own custom-resource handlers carry no description.
      if (description === undefined) continue;
      expect(functions.has(description), `one function for ${description}`).toBe(false);
      functions.set(description, { id, resource, stack });
    }
  }
}, 600_000);

function fn(spec: FunctionSpec) {
  const found = functions.get(spec.description);
  if (!found) throw new Error(`no function for ${spec.description}`);
  return found;
}

describe("api", () => {
  it("has every route of the route table exactly once, and no other", () => {
    const keys = routeResources().map(({ resource }) => props<{ RouteKey: string }>(resource).RouteKey);
    expect(keys.toSorted()).toEqual(routes.map(routeKey).toSorted());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("puts each route on the HTTP API, in its group's stack, sent to the function of its module with exactly its grants", () => {
    const [apiId] = one(synth.api, "AWS::ApiGatewayV2::Api", () => true);
    for (const { stack, resource } of routeResources()) {
      const { RouteKey, Target, ApiId, AuthorizationType } = props<{ RouteKey: string; Target: unknown; ApiId: unknown; AuthorizationType: string }>(resource);
      const route = routes.find((candidate) => routeKey(candidate) === RouteKey);
      if (!route) throw new Error(`no route ${RouteKey} in the table`);
      expect(text(ApiId), RouteKey).toContain(apiId);
      // Authorization is the handlers' (sessions, API keys), not API Gateway's.
      expect(AuthorizationType, RouteKey).toBe("NONE");
      const integrationId = /"Ref":"([^"]+)"/.exec(text(Target))?.[1] ?? "";
      const integration = resourcesOf(templateOf(stack), "AWS::ApiGatewayV2::Integration").find(([id]) => id === integrationId)?.[1];
      expect(integration, RouteKey).toBeDefined();
      expect(props(integration as Resource), RouteKey).toMatchObject({ IntegrationType: "AWS_PROXY", PayloadFormatVersion: "2.0" });
      const functionId = target(props<{ IntegrationUri: unknown }>(integration as Resource).IntegrationUri);
      const served = routeFunctions.find((plan) => plan.routes.includes(route));
      if (!served) throw new Error(`no route function serves ${RouteKey}`);
      const spec = specs.find((candidate) => candidate.description === served.description) as FunctionSpec;
      expect(functionId, RouteKey).toBe(fn(spec).id);
      expect(fn(spec).stack, RouteKey).toBe(stack);
      expect(spec.handler, RouteKey).toBe(entryHandler(route.handler.slice(0, route.handler.lastIndexOf("."))));
      expect(spec.grants, RouteKey).toEqual([...new Set(route.grants)].toSorted());
    }
  });

  it("lets API Gateway invoke each route function from this API only, through one permission", () => {
    const [apiId] = one(synth.api, "AWS::ApiGatewayV2::Api", () => true);
    for (const spec of specs.filter((candidate) => candidate.stack.startsWith("api-") && !candidate.stream)) {
      const { id, stack } = fn(spec);
      const permissions = resourcesOf(templateOf(stack), "AWS::Lambda::Permission").filter(
        ([, permission]) => target(props<{ FunctionName: unknown }>(permission).FunctionName) === id,
      );
      expect(permissions, spec.description).toHaveLength(1);
      const { Principal, Action, SourceArn } = props<{ Principal: string; Action: string; SourceArn: unknown }>((permissions[0] as [string, Resource])[1]);
      expect(Principal).toBe("apigateway.amazonaws.com");
      expect(Action).toBe("lambda:InvokeFunction");
      expect(text(SourceArn)).toContain(apiId);
      expect(text(SourceArn)).toContain(":execute-api:");
    }
  });

  it("throttles, logs access, and allows CORS from the admin origin only", () => {
    synth.api.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      // The route stacks add routes after this stack: the stage deploys them as they come.
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: THROTTLE.burst, ThrottlingRateLimit: THROTTLE.rate },
      AccessLogSettings: { DestinationArn: { "Fn::GetAtt": [Match.anyValue(), "Arn"] }, Format: Match.anyValue() },
    });
    synth.api.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: { AllowOrigins: [ADMIN_ORIGIN], AllowCredentials: false },
    });
  });
});

describe("streaming routes", () => {
  it("the route table has at least one (POST /api/v1/ai/chat), and each still has its API Gateway route", () => {
    expect(streamFunctions.map((stream) => routeKey(stream.route))).toContain("POST /api/v1/ai/chat");
    const keys = routeResources().map(({ resource }) => props<{ RouteKey: string }>(resource).RouteKey);
    for (const stream of streamFunctions) expect(keys, stream.description).toContain(routeKey(stream.route));
  });

  for (const stream of streamFunctions) {
    const spec = () => specs.find((candidate) => candidate.stream === stream) as FunctionSpec;

    it(`${stream.description}: a Function URL in RESPONSE_STREAM mode, no IAM auth, CORS for the admin origin and the route's method`, () => {
      const { id, stack } = fn(spec());
      const [urlId, url] = one(templateOf(stack), "AWS::Lambda::Url", (candidate) => target(props<{ TargetFunctionArn: unknown }>(candidate).TargetFunctionArn) === id);
      expect(props(url)).toMatchObject({
        InvokeMode: "RESPONSE_STREAM",
        AuthType: "NONE",
        Cors: {
          AllowOrigins: [ADMIN_ORIGIN],
          AllowMethods: [stream.route.method],
          AllowHeaders: expect.arrayContaining(["authorization", "content-type"]),
          ExposeHeaders: ["x-correlation-id"],
        },
      });
      expect(props<{ Cors: { AllowCredentials?: boolean } }>(url).Cors.AllowCredentials ?? false).toBe(false);
      // Its URL is a stack output.
      const outputs = (templateOf(stack).toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
      expect(text(outputs[`${stream.id}Url`]?.Value)).toContain(`"${urlId}","FunctionUrl"`);
    });

    it(`${stream.description}: anyone may invoke it through the URL only (the handler authenticates), and API Gateway not at all`, () => {
      const { id, stack } = fn(spec());
      const permissions = resourcesOf(templateOf(stack), "AWS::Lambda::Permission")
        .filter(([, permission]) => target(props<{ FunctionName: unknown }>(permission).FunctionName) === id)
        .map(([, permission]) => props<Record<string, unknown>>(permission));
      expect(permissions).toHaveLength(2);
      expect(permissions).toContainEqual(expect.objectContaining({ Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE" }));
      expect(permissions).toContainEqual(expect.objectContaining({ Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionUrl: true }));
    });

    it(`${stream.description}: outlives one AI attempt (${AI_TIMEOUT_MS / 1000} s), runs the route's stream handler, on arm64`, () => {
      const { resource } = fn(spec());
      const { Timeout, Architectures } = props<{ Timeout: number; Architectures: string[] }>(resource);
      expect(Timeout).toBe(STREAM_TIMEOUT_SECONDS);
      expect(Timeout).toBeGreaterThanOrEqual(125);
      expect(Architectures).toEqual(["arm64"]);
      expect(synth.functionProps.get(stream.description)).toMatchObject({ handler: streamEntryHandler(stream), timeout: STREAM_TIMEOUT_SECONDS });
      const { exportName } = handlerFile(stream.route.stream);
      expect(streamEntrySource(stream)).toContain(`functionUrl(${JSON.stringify(routeKey(stream.route))}, handlers.${exportName})`);
    });

    it(`${stream.description}: holds exactly the route's grants, the very role of the route's API function`, () => {
      expect(stream.grants).toEqual([...new Set(stream.route.grants)].toSorted());
      const apiFunction = routeFunctions.find((plan) => plan.routes.includes(stream.route));
      if (!apiFunction) throw new Error(`no API function serves ${stream.description}`);
      const apiSpec = specs.find((candidate) => candidate.description === apiFunction.description) as FunctionSpec;
      const roleOf = (of: FunctionSpec) => target(props<{ Role: unknown }>(fn(of).resource).Role);
      expect(roleOf(spec())).toBe(roleOf(apiSpec));
      const { stack } = fn(spec());
      const sids = identityStatements(synth.templates)
        .filter(({ stack: where, roles }) => where === stack && roles.includes(roleOf(spec()) as string))
        // Active tracing's X-Ray statement, on every function (see UNSCOPABLE_ACTIONS).
        .filter(({ statement }) => !list(statement.Action).every((action) => UNSCOPABLE_ACTIONS.has(action)))
        .map(({ statement }) => statement.Sid);
      const grants = new Set(stream.grants);
      const wanted = [
        "Logs",
        ...(grants.has("table:write") ? ["TableReadWrite", "TableKeyViaDynamoDB"] : grants.has("table:read") ? ["TableRead", "TableKeyViaDynamoDB"] : []),
        ...(grants.has("keyring") ? ["Keyring"] : []),
        ...(grants.has("queues") ? ["Queues"] : []),
        ...(grants.has("bus") ? ["Bus"] : []),
        ...(grants.has("platform-secret") ? ["PlatformSecret"] : []),
      ];
      expect(sids.toSorted()).toEqual(wanted.toSorted());
    });
  }
});

describe("functions", () => {
  const envNames = Object.keys(AwsEnv.shape).filter((name) => name !== "AWS_REGION");

  it("exist once for every route function, worker and cron job, in its stack, on arm64", () => {
    expect(functions.size).toBe(specs.length);
    for (const spec of specs) {
      const { resource, stack } = fn(spec);
      expect(stack, spec.description).toBe(spec.stack);
      expect(props<{ Architectures: string[] }>(resource).Architectures, spec.description).toEqual(["arm64"]);
    }
  });

  it("run on the newest Node runtime that both SST 2.49.8 and its aws-cdk-lib accept", () => {
    // SST maps its runtime names to CDK's in constructs/Function.js (supportedRuntimes).
    const sstSource = readFileSync(join(dirname(require.resolve("sst/package.json")), "constructs/Function.js"), "utf8");
    const sst = new Set([...sstSource.matchAll(/"nodejs(\d+)\.x":\s*CDKRuntime\.NODEJS_\1_X/g)].map((match) => Number(match[1])));
    const cdk = new Set(
      Object.getOwnPropertyNames(LambdaRuntime)
        .map((name) => /^NODEJS_(\d+)_X$/.exec(name)?.[1])
        .filter((major): major is string => major !== undefined)
        .map(Number),
    );
    const newest = Math.max(...[...sst].filter((major) => cdk.has(major)));
    expect(newest).toBeGreaterThanOrEqual(24);
    expect(FUNCTION_DEFAULTS.runtime).toBe(`nodejs${newest}.x`);
    expect(NODE_TARGET).toBe(`node${newest}`);
  });

  it("are SST functions on nodejs24.x / arm_64 for their handler, bundled as minified ESM for node24", () => {
    for (const spec of specs) {
      const merged = synth.functionProps.get(spec.description);
      expect(merged, spec.description).toMatchObject({
        handler: spec.handler,
        runtime: "nodejs24.x",
        architecture: "arm_64",
        nodejs: { format: "esm", minify: true, esbuild: { target: "node24" } },
      });
      expect(merged?.bind, spec.description).toBeUndefined();
    }
  });

  it.runIf(BUNDLED)("are bundled by SST's esbuild from their handler module, on nodejs24.x", () => {
    for (const spec of specs) {
      const { Runtime, Handler, Code } = props<{ Runtime: string; Handler: string; Code: Record<string, unknown> }>(fn(spec).resource);
      expect(Runtime, spec.description).toBe("nodejs24.x");
      expect(Handler, spec.description).toBe(spec.handler);
      // A bundled asset, not SST's inline placeholder.
      expect(Code.S3Key, spec.description).toEqual(expect.stringMatching(/\.zip$/));
      expect(Code.ZipFile, spec.description).toBeUndefined();
    }
  });

  it("get exactly the AwsEnv variables, with every queue of the table in SAMBUNG_QUEUES", () => {
    for (const spec of specs) {
      const variables = props<{ Environment: { Variables: Record<string, unknown> } }>(fn(spec).resource).Environment.Variables;
      const ours = Object.keys(variables).filter((name) => name.startsWith("SAMBUNG_"));
      expect(ours.toSorted(), spec.description).toEqual(envNames.toSorted());
      expect(variables.POWERTOOLS_SERVICE_NAME).toBe("sambung");
      expect(variables.LOG_LEVEL).toEqual(expect.any(String));
      const queuesJson = text(variables.SAMBUNG_QUEUES);
      for (const name of queueNames) expect(queuesJson, spec.description).toContain(`\\"${name}\\":{\\"url\\":\\"`);
    }
  });

  it("share a role only with route functions of the same stack and the same grants, with no managed policy, on the keyring path only with the keyring grant", () => {
    const holders = new Map<string, FunctionSpec[]>();
    for (const spec of specs) {
      const { resource, stack } = fn(spec);
      const roleId = `${stack}/${target(props<{ Role: unknown }>(resource).Role) as string}`;
      holders.set(roleId, [...(holders.get(roleId) ?? []), spec]);
      const role = resourcesOf(templateOf(stack), "AWS::IAM::Role").find(([id]) => `${stack}/${id}` === roleId)?.[1] as Resource;
      const { Path, ManagedPolicyArns } = props<{ Path: string; ManagedPolicyArns?: unknown[] }>(role);
      expect(ManagedPolicyArns, spec.description).toBeUndefined();
      expect(Path === keyringRolePath(STAGE), spec.description).toBe(spec.grants.includes("keyring"));
    }
    for (const [roleId, sharing] of holders) {
      if (sharing.length === 1) continue;
      expect(sharing.every((spec) => spec.stack.startsWith("api-")), roleId).toBe(true);
      expect(new Set(sharing.map((spec) => spec.grants.join(" "))).size, roleId).toBe(1);
    }
  });

  it("may write logs only to the log groups of the functions holding their role", () => {
    const statements = identityStatements(synth.templates);
    for (const spec of specs) {
      const { resource, stack } = fn(spec);
      const roleId = target(props<{ Role: unknown }>(resource).Role) as string;
      const sharing = specs.filter((other) => other.stack === stack && target(props<{ Role: unknown }>(fn(other).resource).Role) === roleId);
      const logGroups = sharing.map((other) => target(props<{ LoggingConfig: { LogGroup: unknown } }>(fn(other).resource).LoggingConfig.LogGroup));
      const logs = statements.filter(({ stack: where, roles, statement }) => where === stack && roles.includes(roleId) && statement.Sid === "Logs");
      expect(logs, spec.description).toHaveLength(1);
      expect(logGroups.every((id) => id !== undefined && id.length > 0), spec.description).toBe(true);
      const granted = list((logs[0] as { statement: Statement }).statement.Resource).map(target);
      expect(granted.toSorted(), spec.description).toEqual(logGroups.toSorted());
    }
  });

  it("hold statements for their grants and none for grants they lack", () => {
    const bySid: Record<Grant, string[]> = {
      "table:read": ["TableRead", "TableReadWrite"],
      "table:write": ["TableReadWrite"],
      keyring: ["Keyring"],
      queues: ["Queues"],
      bus: ["Bus"],
      "platform-secret": ["PlatformSecret"],
    };
    const statements = identityStatements(synth.templates);
    for (const spec of specs) {
      const { resource } = fn(spec);
      const roleId = target(props<{ Role: unknown }>(resource).Role) as string;
      const sids = statements.filter(({ roles }) => roles.includes(roleId)).map(({ statement }) => statement.Sid);
      expect(sids, spec.description).toContain("Logs");
      for (const [grant, names] of Object.entries(bySid) as [Grant, string[]][]) {
        const held = names.some((sid) => sids.includes(sid));
        const wanted = spec.grants.includes(grant) || (grant === "table:read" && spec.grants.includes("table:write"));
        expect(held, `${spec.description}: ${grant}`).toBe(wanted);
      }
    }
  });
});

describe("the tables", () => {
  // The per-entry tests below loop over the tables themselves, so a queue, worker,
  // cron job or route added to them is checked without touching this file.
  it("name a worker for every queue of the queue table and for nothing else", () => {
    expect(Object.keys(workers).toSorted()).toEqual([...queueNames].toSorted());
  });

  it("route every event type of the catalog to queues of the queue table", () => {
    for (const [queue, types] of routesByQueue()) expect(queueNames, types.join(", ")).toContain(queue);
  });

  it("have a deployed function for each entry, and the stacks no function the tables do not call for", () => {
    expect([...functions.keys()].toSorted()).toEqual(specs.map((spec) => spec.description).toSorted());
    expect(specs.filter((spec) => spec.stack === "events")).toHaveLength(queueNames.length);
    expect(specs.filter((spec) => spec.stack === "jobs")).toHaveLength(cronJobs.length);
    expect(routeFunctions.flatMap((plan) => plan.routes)).toHaveLength(routes.length);
  });
});

describe("queues", () => {
  for (const name of queueNames) {
    const spec = queues[name];

    it(`${name}: has its own dead-letter queue (maxReceiveCount ${spec.maxReceiveCount}, 14 days)`, () => {
      const [dlqId] = one(synth.events, "AWS::SQS::Queue", (queue) => props<{ QueueName: string }>(queue).QueueName === `${STAGE}-sambung-${name}-dlq`);
      synth.events.hasResourceProperties("AWS::SQS::Queue", {
        QueueName: `${STAGE}-sambung-${name}-dlq`,
        MessageRetentionPeriod: 14 * 86_400,
      });
      synth.events.hasResourceProperties("AWS::SQS::Queue", {
        QueueName: `${STAGE}-sambung-${name}`,
        VisibilityTimeout: spec.visibilityTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlqId, "Arn"] }, maxReceiveCount: spec.maxReceiveCount },
      });
    });

    it(`${name}: its dead-letter queue has alarms on visible messages and on age`, () => {
      const [dlqId] = one(synth.events, "AWS::SQS::Queue", (queue) => props<{ QueueName: string }>(queue).QueueName === `${STAGE}-sambung-${name}-dlq`);
      const alarms = resourcesOf(synth.alarms, "AWS::CloudWatch::Alarm").map(([, alarm]) => props<Record<string, unknown>>(alarm));
      const onDlq = alarms.filter((alarm) => text(alarm.Dimensions).includes(dlqId));
      const visible = onDlq.find((alarm) => alarm.MetricName === "ApproximateNumberOfMessagesVisible");
      expect(visible).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold", AlarmActions: [expect.anything()] });
      const age = onDlq.find((alarm) => alarm.MetricName === "ApproximateAgeOfOldestMessage");
      expect(age).toMatchObject({ Threshold: DEAD_LETTER_AGE_ALARM_SECONDS, AlarmActions: [expect.anything()] });
    });

    it(`${name}: one bus rule sends it exactly the event types the catalog routes to it`, () => {
      const [queueId] = one(synth.events, "AWS::SQS::Queue", (queue) => props<{ QueueName: string }>(queue).QueueName === `${STAGE}-sambung-${name}`);
      const rules = resourcesOf(synth.events, "AWS::Events::Rule").filter(([, rule]) => text(props(rule)).includes(`"${queueId}"`));
      const types = routesByQueue().get(name);
      if (!types) {
        expect(rules).toHaveLength(0);
        return;
      }
      expect(rules).toHaveLength(1);
      const { EventPattern, Targets } = props<{ EventPattern: unknown; Targets: unknown[] }>((rules[0] as [string, Resource])[1]);
      expect(EventPattern).toEqual({ source: [EVENT_SOURCE], "detail-type": types });
      expect(Targets).toEqual([expect.objectContaining({ Arn: { "Fn::GetAtt": [queueId, "Arn"] }, InputPath: "$.detail" })]);
    });

    it(`${name}: its worker consumes it with ReportBatchItemFailures, batch ${spec.batchSize}, concurrency ${spec.concurrency}`, () => {
      const [queueId] = one(synth.events, "AWS::SQS::Queue", (queue) => props<{ QueueName: string }>(queue).QueueName === `${STAGE}-sambung-${name}`);
      const worker = fn(specs.find((candidate) => candidate.description === `worker ${name}`) as FunctionSpec);
      synth.events.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: { "Fn::GetAtt": [queueId, "Arn"] },
        FunctionName: { Ref: worker.id },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        BatchSize: spec.batchSize,
        ScalingConfig: { MaximumConcurrency: spec.concurrency },
      });
      expect(props<{ Timeout: number }>(worker.resource).Timeout).toBeLessThanOrEqual(spec.visibilityTimeoutSeconds);
    });
  }

  it("every worker, cron job and streaming route function has an Errors alarm, and the API a 5xx alarm", () => {
    const alarms = resourcesOf(synth.alarms, "AWS::CloudWatch::Alarm").map(([, alarm]) => props<Record<string, unknown>>(alarm));
    // Route functions answer errors as 5xx responses, which the API alarm counts; streaming ones bypass the API.
    for (const spec of specs.filter((candidate) => !candidate.stack.startsWith("api-") || candidate.stream)) {
      const { id } = fn(spec);
      expect(
        alarms.some((alarm) => alarm.MetricName === "Errors" && text(alarm.Dimensions).includes(id)),
        spec.description,
      ).toBe(true);
    }
    expect(alarms.some((alarm) => alarm.MetricName === "5xx" && alarm.Namespace === "AWS/ApiGateway")).toBe(true);
    synth.alarms.resourceCountIs("AWS::SNS::Topic", 1);
  });
});

describe("table", () => {
  it("is the single table: pk/sk, on demand, PITR, customer-managed KMS, TTL on ttl, NEW_IMAGE stream, gsi1", () => {
    const [keyId] = one(synth.storage, "AWS::KMS::Key", (key) => text(props(key)).includes("encrypts the single table"));
    synth.storage.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true, Description: Match.stringLikeRegexp("single table") });
    synth.storage.resourceCountIs("AWS::DynamoDB::Table", 1);
    synth.storage.hasResourceProperties("AWS::DynamoDB::Table", {
      ...TABLE_KEYS,
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] } },
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
    });
  });

  it("has a generated platform secret", () => {
    synth.storage.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { GenerateStringKey: "session-signing-key", SecretStringTemplate: "{}" },
    });
  });
});

describe("CloudFormation quotas", () => {
  // Per stack: 500 resources, 200 outputs, a 1 MB template (uploaded through S3).
  // A route function costs its group's stack 4 resources (function, log group,
  // integration, permission), each grant set 2 (a role and its policy) and each
  // route 1, so the busiest route group is where the tables' growth hits first. tests/infra/scale.test.ts checks
  // that twice the routes still fit.
  it(`every stack stays within ${HEADROOM * 100}% of 500 resources, 200 outputs and 1 MB`, () => {
    const usage = quotaUsage(synth.templates);
    console.log(`CloudFormation usage: ${usage.map(({ line }) => line).join("; ")}`);
    for (const { stack, resources, outputs, kb } of usage) {
      expect(resources, stack).toBeLessThanOrEqual(QUOTA.resources * HEADROOM);
      expect(outputs, stack).toBeLessThanOrEqual(QUOTA.outputs * HEADROOM);
      expect(kb, stack).toBeLessThanOrEqual(QUOTA.kb * HEADROOM);
    }
  });
});

describe("IAM", () => {
  it("no identity policy allows a wildcard action, or a * resource outside the documented exceptions", () => {
    const offending: string[] = [];
    for (const { stack, id, statement } of identityStatements(synth.templates)) {
      if (statement.Effect !== "Allow") continue;
      const actions = list(statement.Action);
      const where = `${stack}/${id} ${text(statement.Action)} on ${text(statement.Resource)}`;
      if (actions.some((action) => action === "*" || action.endsWith(":*"))) offending.push(`wildcard action: ${where}`);
      const bare = list(statement.Resource).some((resource) => resource === "*");
      if (bare && !actions.every((action) => UNSCOPABLE_ACTIONS.has(action))) offending.push(`* resource: ${where}`);
    }
    expect(offending).toEqual([]);
  });

  it("no resource policy (queues, topics, keys) allows a wildcard action", () => {
    const offending: string[] = [];
    for (const [stack, template] of Object.entries(synth.templates)) {
      for (const [id, resource] of resourcesOf(template)) {
        const doc = (resource.Properties?.PolicyDocument ?? resource.Properties?.KeyPolicy) as PolicyDocument | undefined;
        if (!doc || resource.Type.startsWith("AWS::IAM::")) continue;
        for (const statement of doc.Statement) {
          if (statement.Effect === "Allow" && list(statement.Action).some((action) => action === "*" || action.endsWith(":*"))) {
            offending.push(`${stack}/${id} ${text(statement.Action)}`);
          }
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it("only SST's own custom-resource handler roles carry a managed policy (basic execution)", () => {
    for (const [stack, template] of Object.entries(synth.templates)) {
      for (const [id, role] of resourcesOf(template, "AWS::IAM::Role")) {
        const managed = props<{ ManagedPolicyArns?: unknown[] }>(role).ManagedPolicyArns;
        if (!managed) continue;
        expect(id, `${stack}/${id}`).toMatch(SST_HANDLER_ROLE);
        expect(managed.map(text)).toEqual([expect.stringContaining(BASIC_EXECUTION)]);
      }
    }
  });
});

describe("keyring", () => {
  it("the secrets key rotates, and its policy lets only keyring-path roles encrypt or decrypt", () => {
    const [, key] = one(synth.storage, "AWS::KMS::Key", (candidate) => text(props(candidate)).includes("seals provider secrets"));
    const { EnableKeyRotation, KeyPolicy } = props<{ EnableKeyRotation: boolean; KeyPolicy: PolicyDocument }>(key);
    expect(EnableKeyRotation).toBe(true);
    const crypto = KeyPolicy.Statement.filter((statement) =>
      list(statement.Action).some((action) => ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"].includes(action) || action.includes("*")),
    );
    expect(crypto).toHaveLength(1);
    expect(text(crypto[0]?.Condition?.ArnLike?.["aws:PrincipalArn"])).toContain(`:role${keyringRolePath(STAGE)}*`);
  });

  it("only functions with the keyring grant hold a statement on the secrets key, and each of them does", () => {
    const [keyId] = one(synth.storage, "AWS::KMS::Key", (candidate) => text(props(candidate)).includes("seals provider secrets"));
    const onKey = identityStatements(synth.templates).filter(({ statement }) => text(statement.Resource).includes(keyId));
    const holders = new Set(onKey.flatMap(({ roles }) => roles));
    for (const spec of specs) {
      const roleId = target(props<{ Role: unknown }>(fn(spec).resource).Role) as string;
      expect(holders.has(roleId), spec.description).toBe(spec.grants.includes("keyring"));
    }
    // No other role (the pipe's, SST's) touches it either.
    const functionRoles = new Set(specs.map((spec) => target(props<{ Role: unknown }>(fn(spec).resource).Role)));
    expect([...holders].filter((role) => !functionRoles.has(role))).toEqual([]);
  });

  it("the grant mapping gives the secrets key to the keyring grant and to no other", () => {
    const stack = new Stack(new CdkApp(), "GrantMapping", { env: { account: "123456789012", region: "ap-southeast-1" } });
    const arn = (service: string, resource: string) => `arn:aws:${service}:ap-southeast-1:123456789012:${resource}`;
    const resources: Resources = {
      table: Table.fromTableAttributes(stack, "Table", { tableArn: arn("dynamodb", "table/t"), tableStreamArn: arn("dynamodb", "table/t/stream/s") }),
      tableKey: Key.fromKeyArn(stack, "TableKey", arn("kms", "key/table-key")),
      secretsKey: Key.fromKeyArn(stack, "SecretsKey", arn("kms", "key/secrets-key")),
      platformSecret: Secret.fromSecretCompleteArn(stack, "Secret", arn("secretsmanager", "secret:platform-AbCdEf")),
      bus: EventBus.fromEventBusArn(stack, "Bus", arn("events", "event-bus/b")),
      queues: Object.fromEntries(
        queueNames.map((name) => [name, { queue: Queue.fromQueueArn(stack, `${name}Q`, arn("sqs", name)), dlq: Queue.fromQueueArn(stack, `${name}D`, arn("sqs", `${name}-dlq`)) }]),
      ) as Resources["queues"],
    };
    const grants: Grant[] = ["table:read", "table:write", "keyring", "queues", "bus", "platform-secret"];
    for (const grant of grants) {
      const json = text(stack.resolve(statementsFor([grant], resources).map((statement) => statement.toStatementJson())));
      expect(json.includes("key/secrets-key"), grant).toBe(grant === "keyring");
      expect(json).not.toMatch(/"Action":"\*"|:\*"|"Resource":"\*"/);
    }
  });
});

describe("outbox pipe", () => {
  const image = (withOutbox: boolean) => ({
    pk: { S: "diag#1" },
    sk: { S: "ping" },
    ...(withOutbox && {
      outbox: { M: { id: { S: "evt_1" }, type: { S: "diag.ping" }, tenantId: { S: "t1" }, occurredAt: { S: "2025-01-01T00:00:00.000Z" }, data: { M: {} } } },
    }),
  });
  const record = (eventName: string, newImage?: unknown) => ({ eventName, eventSource: "aws:dynamodb", dynamodb: { ...(newImage !== undefined && { NewImage: newImage }) } });

  it("reads the table stream from the start and puts on the bus, with its own dead-letter queue", () => {
    const [, pipe] = one(synth.events, "AWS::Pipes::Pipe", () => true);
    const { Source, Target, SourceParameters, TargetParameters } = props<{
      Source: unknown;
      Target: unknown;
      SourceParameters: { DynamoDBStreamParameters: Record<string, unknown> };
      TargetParameters: { InputTemplate: string; EventBridgeEventBusParameters: { Source: string; DetailType: string } };
    }>(pipe);
    expect(text(Source)).toMatch(/Table\w*StreamArn/);
    expect(target(Target)).toBe(one(synth.events, "AWS::Events::EventBus", () => true)[0]);
    expect(SourceParameters.DynamoDBStreamParameters).toMatchObject({ StartingPosition: "TRIM_HORIZON", DeadLetterConfig: { Arn: expect.anything() } });
    expect(TargetParameters).toEqual({
      InputTemplate: OUTBOX_INPUT_TEMPLATE,
      EventBridgeEventBusParameters: { Source: EVENT_SOURCE, DetailType: OUTBOX_DETAIL_TYPE_PATH },
    });
  });

  it("filters to INSERT records with an outbox envelope, and nothing else", () => {
    const [, pipe] = one(synth.events, "AWS::Pipes::Pipe", () => true);
    const filters = props<{ SourceParameters: { FilterCriteria: { Filters: { Pattern: string }[] } } }>(pipe).SourceParameters.FilterCriteria.Filters;
    expect(filters).toHaveLength(1);
    const pattern: unknown = JSON.parse((filters[0] as { Pattern: string }).Pattern);
    expect(pattern).toEqual(OUTBOX_FILTER);
    expect(matches(pattern, record("INSERT", image(true)))).toBe(true);
    expect(matches(pattern, record("INSERT", image(false)))).toBe(false);
    expect(matches(pattern, record("MODIFY", image(true)))).toBe(false);
    expect(matches(pattern, record("REMOVE"))).toBe(false);
    expect(matches(pattern, record("INSERT", { ...image(false), outbox: { S: "not a map" } }))).toBe(false);
  });
});

describe("jobs", () => {
  for (const job of cronJobs) {
    it(`${job.name}: runs on ${job.schedule}`, () => {
      const { id } = fn(specs.find((spec) => spec.description === `cron ${job.name}`) as FunctionSpec);
      synth.jobs.hasResourceProperties("AWS::Events::Rule", {
        ScheduleExpression: job.schedule,
        State: "ENABLED",
        Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [id, "Arn"] } })],
      });
    });
  }

  it("has a rule for every job of the cron table and no other", () => {
    synth.jobs.resourceCountIs("AWS::Events::Rule", cronJobs.length);
  });
});

describe("web", () => {
  const exists = existsSync(`${WEB_PATH}/package.json`);

  it.runIf(exists)("declares the admin app: built with npm run build into dist, with VITE_API_URL", () => {
    const site = synth.site as unknown as { props: Record<string, unknown> } | undefined;
    expect(site).toBeDefined();
    expect(site?.props).toMatchObject({ path: WEB_PATH, buildCommand: "npm run build", buildOutput: "dist" });
    expect(Object.keys(site?.props.environment as Record<string, string>)).toEqual(["VITE_API_URL"]);
  });

  it.runIf(!exists)("is empty until packages/web exists", () => {
    expect(synth.site).toBeUndefined();
    synth.web.resourceCountIs("AWS::CloudFront::Distribution", 0);
  });
});
