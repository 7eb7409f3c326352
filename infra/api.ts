import { Stack as CdkStack } from "aws-cdk-lib";
import { CfnIntegration, CfnRoute } from "aws-cdk-lib/aws-apigatewayv2";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Api as SstApi, Function as SstFunction, Stack, use, type StackContext } from "sst/constructs";
import { routeKey, routes, type Route } from "../packages/functions/src/routes.ts";
import { Events } from "./events.ts";
import { functionProps, functionRole, pascal, type FunctionRole } from "./function.ts";
import { entryHandler, planRouteFunctions, writeRouteEntries } from "./route-functions.ts";

/** HTTP API Gateway's own integration limit is 30 s; a route function gives up just before. */
const ROUTE_TIMEOUT_SECONDS = 29;

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

/**
 * The API stack for a route table: the HTTP API itself (stage, throttling, CORS,
 * access log) here, and for every route group a stack holding the group's route
 * functions, their integrations and routes (see infra/route-functions.ts).
 */
export function apiStack(table: readonly Route[], options: ApiStackOptions) {
  return function Api({ stack, app }: StackContext) {
    const { resources } = use(Events);
    const origins = adminOrigins();
    const plan = planRouteFunctions(table);
    if (options.writeEntries) writeRouteEntries(table);

    const api = new SstApi(stack, "Api", {
      defaults: { throttle: THROTTLE },
      accessLog: { retention: "one_month" },
      cors:
        origins.length > 0
          ? {
              allowOrigins: origins,
              allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
              // Bearer tokens, not cookies: no credentials mode.
              allowHeaders: ["authorization", "content-type", "x-sambung-tenant", "x-correlation-id"],
              exposeHeaders: ["x-correlation-id"],
              maxAge: "1 hour",
            }
          : false,
    });
    const { httpApi } = api.cdk;

    const routeStacks: Record<string, Stack> = {};
    for (const [group, functions] of plan) {
      const groupStack = new Stack(app, routeStackId(group));
      routeStacks[group] = groupStack;
      const roles = new Map<string, FunctionRole>();
      for (const spec of functions) {
        const grantsKey = spec.grants.join(" ");
        const role =
          roles.get(grantsKey) ??
          functionRole(groupStack, `Role${pascal(grantsKey) || "NoGrants"}`, spec.grants, `${group} routes [${grantsKey}]`, resources);
        roles.set(grantsKey, role);
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
    }

    stack.addOutputs({ ApiUrl: api.url });
    return { api, routeStacks };
  };
}

/** The API of the route table (packages/functions/src/routes.ts). */
export const Api = apiStack(routes, { writeEntries: true });
