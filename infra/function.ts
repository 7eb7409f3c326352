import { RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { App, FunctionProps } from "sst/constructs";
import type { Grant, HandlerRef } from "../packages/functions/src/grants.ts";
import { HANDLER_ROOT, nodejs } from "./bundling.ts";
import { functionRolePath, keyringRolePath, statementsFor } from "./grants.ts";
import { functionEnvironment, type Resources } from "./resources.ts";

/**
 * Every function's SST defaults (sst.config.ts sets them on the app): the newest
 * Node runtime SST 2.49.8 and its aws-cdk-lib 2.224 accept (tests/infra checks
 * there is no newer one), arm64, the bundling of infra/bundling.ts, Powertools' env.
 */
export const FUNCTION_DEFAULTS = {
  runtime: "nodejs24.x",
  architecture: "arm_64",
  memorySize: 1024,
  nodejs,
  environment: {
    POWERTOOLS_SERVICE_NAME: "sambung",
    LOG_LEVEL: process.env.SAMBUNG_LOG_LEVEL ?? "INFO",
  },
} as const satisfies FunctionProps;

export interface FunctionSpec {
  /** Construct id prefix, unique in its stack: "RouteGetHealth", "WorkerDiag", "CronDeadLetterWatch". */
  id: string;
  /** SST's handler, from the project root: `${HANDLER_ROOT}/workers/diag.handler`, or a route entry (infra/route-functions.ts). */
  handler: string;
  grants: readonly Grant[];
  /** Seconds. */
  timeout: number;
  /** What tests/infra maps a deployed function back to its table entry by: "GET /health", "worker diag", "cron dead-letter-watch". */
  description: string;
}

/** A function role and its statement for writing logs, which lists the log group of each function given the role. */
export interface FunctionRole {
  role: Role;
  logs: PolicyStatement;
}

/**
 * A role holding exactly the statements `grants` map to (infra/grants.ts), on the
 * keyring path only with the "keyring" grant, plus writing to the log groups of
 * the functions that run with it. Nothing is bound and no managed policy is attached.
 */
export function functionRole(scope: Construct, id: string, grants: readonly Grant[], description: string, resources: Resources): FunctionRole {
  const stage = (Stack.of(scope).node.root as App).stage;
  const role = new Role(scope, id, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    path: grants.includes("keyring") ? keyringRolePath(stage) : functionRolePath(stage),
    description: `Sambung ${stage}: ${description}`,
  });
  // What AWSLambdaBasicExecutionRole would allow, on its functions' log groups only (functionProps adds each).
  const logs = new PolicyStatement({ sid: "Logs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"] });
  role.addToPolicy(logs);
  for (const statement of statementsFor(grants, resources)) role.addToPolicy(statement);
  return { role, logs };
}

/**
 * The props of one function of the tables: its handler, the AwsEnv environment, a
 * log group of its own, and the given role (which must hold exactly the function's
 * grants: route functions with the same grants in one stack share one) or else a
 * role of its own.
 */
export function functionProps(scope: Construct, spec: FunctionSpec, resources: Resources, shared?: FunctionRole): FunctionProps {
  const stack = Stack.of(scope);
  const app = stack.node.root as App;
  const logGroup = new LogGroup(scope, `${spec.id}Logs`, {
    logGroupName: `/sambung/${app.stage}/${spec.id}`,
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const { role, logs } = shared ?? functionRole(scope, `${spec.id}Role`, spec.grants, spec.description, resources);
  logs.addResources(logGroup.logGroupArn);
  return {
    handler: spec.handler,
    description: spec.description,
    timeout: spec.timeout,
    role,
    logGroup,
    environment: functionEnvironment(resources, stack),
  };
}

/** SST's handler for a table's HandlerRef: "workers/diag.handler" → "packages/functions/src/workers/diag.handler". */
export function sourceHandler(ref: HandlerRef): string {
  return `${HANDLER_ROOT}/${ref}`;
}

/** "dead-letter-watch" → "DeadLetterWatch"; "GET /api/diag/pings/{id}" → "GetApiDiagPingsId". */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1).toLowerCase())
    .join("");
}
