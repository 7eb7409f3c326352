import type { Grant, HandlerRef } from "./grants.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Route {
  method: Method;
  /** API Gateway path syntax: /api/items/{id}. */
  path: string;
  handler: HandlerRef;
  grants: readonly Grant[];
}

/** The HTTP route table: the SST api stack and the local runtime both read it. */
export const routes = [
  { method: "GET", path: "/health", handler: "http/health.handler", grants: ["table:read", "queues"] },
  { method: "POST", path: "/api/diag/pings", handler: "http/diag.create", grants: ["table:write"] },
  { method: "GET", path: "/api/diag/pings/{id}", handler: "http/diag.get", grants: ["table:read"] },
  { method: "GET", path: "/api/admin/dlq", handler: "http/dlq.list", grants: ["queues"] },
  { method: "POST", path: "/api/admin/dlq/{queue}/redrive", handler: "http/dlq.redrive", grants: ["queues"] },
] as const satisfies readonly Route[];

export function routeKey(route: Pick<Route, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}
