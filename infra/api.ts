import { Api as SstApi, use, type ApiRouteProps, type StackContext } from "sst/constructs";
import { routeKey, routes } from "../packages/functions/src/routes.ts";
import { Events } from "./events.ts";
import { functionProps, pascal } from "./function.ts";

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

/** Every route of the route table, each on a function of its own. */
export function Api({ stack }: StackContext) {
  const { resources } = use(Events);
  const origins = adminOrigins();

  const table: Record<string, ApiRouteProps<string>> = {};
  for (const route of routes) {
    const key = routeKey(route);
    if (key in table) throw new Error(`route ${key} is in the route table twice`);
    table[key] = {
      function: functionProps(
        stack,
        {
          id: `Route${pascal(key)}`,
          handler: route.handler,
          grants: route.grants,
          timeout: ROUTE_TIMEOUT_SECONDS,
          description: key,
        },
        resources,
      ),
    };
  }

  const api = new SstApi(stack, "Api", {
    routes: table,
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

  stack.addOutputs({ ApiUrl: api.url });
  return { api };
}
