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
  { method: "POST", path: "/api/auth/login", handler: "http/auth.login", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/auth/setup", handler: "http/auth.setup", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/auth/me", handler: "http/auth.me", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/tenants", handler: "http/tenants.listTenants", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/tenants", handler: "http/tenants.createTenant", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/locations", handler: "http/tenants.listLocations", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/locations", handler: "http/tenants.createLocation", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/users", handler: "http/tenants.listUsers", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/users", handler: "http/tenants.createUser", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/api-keys", handler: "http/tenants.listApiKeys", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/api-keys", handler: "http/tenants.createApiKey", grants: ["table:write", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/api-keys/{id}", handler: "http/tenants.revokeApiKey", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/audit", handler: "http/audit.list", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/presets", handler: "http/presets.list", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/providers", handler: "http/providers.list", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/providers", handler: "http/providers.create", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/providers/{id}", handler: "http/providers.get", grants: ["table:read", "platform-secret"] },
  { method: "PATCH", path: "/api/admin/providers/{id}", handler: "http/providers.update", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/providers/{id}", handler: "http/providers.remove", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/providers/{id}/test", handler: "http/providers.test", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/features", handler: "http/providers.getFeatures", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/admin/features", handler: "http/providers.putFeatures", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/keys/rotate", handler: "http/keys.rotate", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/keys/rotation", handler: "http/keys.status", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/diag/pings", handler: "http/diag.create", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/diag/pings/{id}", handler: "http/diag.get", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/dlq", handler: "http/dlq.list", grants: ["table:read", "queues", "platform-secret"] },
  { method: "POST", path: "/api/admin/dlq/{queue}/redrive", handler: "http/dlq.redrive", grants: ["table:read", "queues", "platform-secret"] },
] as const satisfies readonly Route[];

export function routeKey(route: Pick<Route, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}
