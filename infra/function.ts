import { RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { App, FunctionProps } from "sst/constructs";
import type { Grant, HandlerRef } from "../packages/functions/src/grants.ts";
import { HANDLER_ROOT } from "./bundling.ts";
import { functionRolePath, keyringRolePath, statementsFor } from "./grants.ts";
import { functionEnvironment, type Resources } from "./resources.ts";

export interface FunctionSpec {
  /** Construct id prefix, unique in its stack: "RouteGetHealth", "WorkerDiag", "CronDeadLetterWatch". */
  id: string;
  handler: HandlerRef;
  grants: readonly Grant[];
  /** Seconds. */
  timeout: number;
  /** What tests/infra maps a deployed function back to its table entry by: "GET /health", "worker diag", "cron dead-letter-watch". */
  description: string;
}

/**
 * The props of one function of the tables: its handler, the AwsEnv environment,
 * and a role of its own that holds exactly the statements its grants map to (plus
 * writing to its own log group). Nothing is bound and no managed policy is attached.
 */
export function functionProps(scope: Construct, spec: FunctionSpec, resources: Resources): FunctionProps {
  const stack = Stack.of(scope);
  const app = stack.node.root as App;
  const keyring = spec.grants.includes("keyring");
  const logGroup = new LogGroup(scope, `${spec.id}Logs`, {
    logGroupName: `/sambung/${app.stage}/${spec.id}`,
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${spec.id}Role`, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    path: keyring ? keyringRolePath(app.stage) : functionRolePath(app.stage),
    description: `Sambung ${app.stage}: ${spec.description}`,
  });
  // What AWSLambdaBasicExecutionRole would allow, on this function's log group only.
  role.addToPolicy(
    new PolicyStatement({ sid: "Logs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [logGroup.logGroupArn] }),
  );
  return {
    handler: `${HANDLER_ROOT}/${spec.handler}`,
    description: spec.description,
    timeout: spec.timeout,
    role,
    logGroup,
    environment: functionEnvironment(resources, stack),
    permissions: statementsFor(spec.grants, resources),
  };
}

/** "dead-letter-watch" → "DeadLetterWatch"; "GET /api/diag/pings/{id}" → "GetApiDiagPingsId". */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1).toLowerCase())
    .join("");
}
