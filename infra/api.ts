import { Stack as CdkStack } from "aws-cdk-lib";
import { CfnIntegration, CfnRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Api as SstApi, Function as SstFunction, Stack, use, type StackContext } from "sst/constructs";
import { AI_TIMEOUT_MS } from "../packages/core/src/resilience/policy.ts";
import type { Grant } from "../packages/functions/src/grants.ts";
import { routeKey, routes, type Method, type Route } from "../packages/functions/src/routes.ts";
import { Events } from "./events.ts";
import { functionProps, functionRole, pascal, type FunctionRole } from "./function.ts";
import { entryHandler, planRouteFunctions, planStreamFunctions, streamEntryHandler, writeRouteEntries, writeStreamEntries } from "./route-functions.ts";

/** HTTP API Gateway's own integration limit is 30 s; a route function gives up just before. */
const ROUTE_TIMEOUT_SECONDS = 29;

/**
 * A streaming route's function (behind its Function URL, which has no limit of its
 * own below Lambda's 15 minutes) outlives one AI attempt (120 s) with time left to
 * send the closing event or the error; AI calls are never retried, and fall back
 * only when the primary was never reached.
 */
export const STREAM_TIMEOUT_SECONDS = AI_TIMEOUT_MS / 1000 + 10;

/** Requests per second across the API (steady rate and burst), per stage. */
export const THROTTLE = { rate: 200, burst: 400 };

/**
 * Origins the browser may call the API from: the admin app's. Its CloudFront URL is
 * only known once the web stack exists (which itself needs this API's URL), so the
 * origin is a deploy setting: SAMBUNG_ADMIN_ORIGIN, comma-separated. See docs/deploy.md.
 */
export function adminOrigins(env: Record<string, string | undefined> = process.env): string[] {
  return (env.SAMBUNG_ADMIN_ORIGIN ?? "")
    .split(",")
    .map((origin) => origin.trim().replace(/\/+$/, ""))
    .filter(Boolean);
}

/** The id of a group's stack: "admin" → "ApiAdmin" (deployed as `<stage>-sambung-ApiAdmin`). */
export function routeStackId(group: string): string {
  return `Api${pascal(group)}`;
}

export interface ApiStackOptions {
  /**
   * Write the generated Lambda entries (infra/route-functions.ts) into the project.
   * Off only for synthetic route tables in tests, whose modules do not exist.
   */
  writeEntries: boolean;
}

/** CORS for the admin app's origins, the API's and each streaming route's Function URL alike (`false`: none). */
export function corsFor(origins: string[], methods: Method[]) {
  if (origins.length === 0) return false as const;
  return {
    allowOrigins: origins,
    allowMethods: methods,
    // Bearer tokens, not cookies: no credentials mode.
    allowHeaders: ["authorization", "content-type", "x-sambung-tenant", "x-correlation-id"],
    exposeHeaders: ["x-correlation-id"],
    maxAge: "1 hour" as const,
  };
}

/**
 * The API stack for a route table: the HTTP API itself (stage, throttling, CORS,
 * access log) here, and for every route group a stack holding the group's route
 * functions, their integrations and routes, and the Function URL function of each
 * of its streaming routes (see infra/route-functions.ts).
 */
export function apiStack(table: readonly Route[], options: ApiStackOptions) {
  return function Api({ stack, app }: StackContext) {
    const { resources } = use(Events);
    const origins = adminOrigins();
    const plan = planRouteFunctions(table);
    const streams = planStreamFunctions(table);
    if (options.writeEntries) {
      writeRouteEntries(table);
      writeStreamEntries(table);
    }

    const api = new SstApi(stack, "Api", {
      defaults: { throttle: THROTTLE },
      accessLog: { retention: "one_month" },
      cors: corsFor(origins, ["GET", "POST", "PUT", "PATCH", "DELETE"]),
    });
    const { httpApi } = api.cdk;

    const routeStacks: Record<string, Stack> = {};
    const streamFunctions: Record<string, SstFunction> = {};
    for (const [group, functions] of plan) {
      const groupStack = new Stack(app, routeStackId(group));
      routeStacks[group] = groupStack;
      const roles = new Map<string, FunctionRole>();
      const roleFor = (grants: readonly Grant[]) => {
        const grantsKey = grants.join(" ");
        const role =
          roles.get(grantsKey) ??
          functionRole(groupStack, `Role${pascal(grantsKey) || "NoGrants"}`, grants, `${group} routes [${grantsKey}]`, resources);
        roles.set(grantsKey, role);
        return role;
      };
      for (const spec of functions) {
        const role = roleFor(spec.grants);
        const fn = new SstFunction(
          groupStack,
          spec.id,
          functionProps(
            groupStack,
            { id: spec.id, handler: entryHandler(spec.module), grants: spec.grants, timeout: ROUTE_TIMEOUT_SECONDS, description: spec.description },
            resources,
            role,
          ),
        );
        // One invoke permission for the function, on this API only; API Gateway
        // invokes it for exactly the routes below, which name its integration.
        fn.addPermission(`${spec.id}Invoke`, {
          principal: new ServicePrincipal("apigateway.amazonaws.com"),
          sourceArn: CdkStack.of(groupStack).formatArn({ service: "execute-api", resource: httpApi.apiId, resourceName: "*/*/*" }),
        });
        const integration = new CfnIntegration(groupStack, `${spec.id}Integration`, {
          apiId: httpApi.apiId,
          integrationType: "AWS_PROXY",
          integrationUri: fn.functionArn,
          payloadFormatVersion: "2.0",
        });
        for (const route of spec.routes) {
          new CfnRoute(groupStack, `Route${pascal(routeKey(route))}`, {
            apiId: httpApi.apiId,
            routeKey: routeKey(route),
            target: `integrations/${integration.ref}`,
            authorizationType: "NONE",
          });
        }
      }

      // Streaming routes: a function of their own behind a Function URL (no API
      // Gateway in front, so no 30 s limit and no buffering), with the route's
      // grants (the same role as the route's API function) and no IAM auth: the
      // handler authenticates the API key or session itself, as on the API.
      for (const spec of streams.filter((candidate) => candidate.group === group)) {
        const fn = new SstFunction(groupStack, spec.id, {
          ...functionProps(
            groupStack,
            { id: spec.id, handler: streamEntryHandler(spec), grants: spec.grants, timeout: STREAM_TIMEOUT_SECONDS, description: spec.description },
            resources,
            roleFor(spec.grants),
          ),
          url: { authorizer: "none", streaming: true, cors: corsFor(origins, [spec.route.method]) },
        });
        streamFunctions[routeKey(spec.route)] = fn;
        if (fn.url) groupStack.addOutputs({ [`${spec.id}Url`]: fn.url });
      }
    }

    stack.addOutputs({ ApiUrl: api.url });
    return { api, routeStacks, streamFunctions };
  };
}

/** The API of the route table (packages/functions/src/routes.ts). */
export const Api = apiStack(routes, { writeEntries: true });
