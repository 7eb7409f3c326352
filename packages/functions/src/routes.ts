import type { Grant, HandlerRef } from "./grants.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Route {
  method: Method;
  /** API Gateway path syntax: /api/items/{id}. */
  path: string;
  handler: HandlerRef;
  /**
   * A streaming handler (middleware/http-stream.ts) for the same route, used where
   * the runtime can stream answers: the local runtime, and on AWS a Lambda Function
   * URL of its own (infra/route-functions.ts). API Gateway buffers, so there
   * `handler` serves the route.
   */
  stream?: HandlerRef;
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
  { method: "GET", path: "/api/admin/formats", handler: "http/formats.list", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/providers", handler: "http/providers.list", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/providers", handler: "http/providers.create", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/providers/{id}", handler: "http/providers.get", grants: ["table:read", "platform-secret"] },
  { method: "PATCH", path: "/api/admin/providers/{id}", handler: "http/providers.update", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/providers/{id}", handler: "http/providers.remove", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/providers/{id}/test", handler: "http/providers.test", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/providers/{id}/calls", handler: "http/health-providers.calls", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/health", handler: "http/health-providers.health", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/features", handler: "http/providers.getFeatures", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/admin/features", handler: "http/providers.putFeatures", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/keys/rotate", handler: "http/keys.rotate", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/keys/rotation", handler: "http/keys.status", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/diag/pings", handler: "http/diag.create", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/diag/pings/{id}", handler: "http/diag.get", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/dlq", handler: "http/dlq.list", grants: ["table:read", "queues", "platform-secret"] },
  { method: "POST", path: "/api/admin/dlq/{queue}/redrive", handler: "http/dlq.redrive", grants: ["table:read", "queues", "platform-secret"] },
  { method: "GET", path: "/api/admin/events/catalog", handler: "http/events.catalog", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/v1/events", handler: "http/events.publish", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/subscriptions", handler: "http/subscriptions.list", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/subscriptions", handler: "http/subscriptions.create", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/subscriptions/{id}", handler: "http/subscriptions.get", grants: ["table:read", "platform-secret"] },
  { method: "PATCH", path: "/api/admin/subscriptions/{id}", handler: "http/subscriptions.update", grants: ["table:write", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/subscriptions/{id}", handler: "http/subscriptions.remove", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/subscriptions/{id}/rotate-secret", handler: "http/subscriptions.rotateSecret", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/deliveries", handler: "http/deliveries.list", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/deliveries/{id}", handler: "http/deliveries.get", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/deliveries/{id}/redrive", handler: "http/deliveries.redrive", grants: ["table:write", "queues", "platform-secret"] },
  { method: "POST", path: "/api/admin/deliveries/redrive", handler: "http/deliveries.redriveMany", grants: ["table:write", "queues", "platform-secret"] },
  { method: "GET", path: "/api/admin/deliveries/redrive/{jobId}", handler: "http/deliveries.redriveJob", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/webhook/{type}/{slug}", handler: "http/webhook.receive", grants: ["table:write", "keyring"] },
  { method: "POST", path: "/api/v1/payments", handler: "http/payments.create", grants: ["table:write", "keyring"] },
  { method: "GET", path: "/api/v1/payments", handler: "http/payments.byReference", grants: ["table:write"] },
  { method: "GET", path: "/api/v1/payments/{id}", handler: "http/payments.get", grants: ["table:write"] },
  { method: "POST", path: "/api/v1/payments/{id}/refund", handler: "http/payments.refund", grants: ["table:write", "keyring"] },
  { method: "POST", path: "/api/v1/payments/{id}/cancel", handler: "http/payments.cancel", grants: ["table:write", "keyring"] },
  { method: "POST", path: "/api/v1/files", handler: "http/files.upload", grants: ["table:write", "keyring"] },
  { method: "GET", path: "/api/v1/files/{id}", handler: "http/files.get", grants: ["table:write", "keyring"] },
  { method: "DELETE", path: "/api/v1/files/{id}", handler: "http/files.remove", grants: ["table:write", "keyring"] },
  { method: "POST", path: "/api/v1/captcha/verify", handler: "http/captcha.verify", grants: ["table:write", "keyring"] },
  { method: "POST", path: "/api/v1/ai/chat", handler: "http/ai.chat", stream: "http/ai.chatStream", grants: ["table:write", "keyring"] },
  { method: "GET", path: "/api/admin/payments", handler: "http/payments.adminList", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/payments/unreconciled", handler: "http/payments.unreconciled", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/webhooks/inbound", handler: "http/payments.inboundList", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/webhooks/inbound/{id}", handler: "http/payments.inboundGet", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/webhooks/inbound/{id}/replay", handler: "http/payments.inboundReplay", grants: ["table:write", "bus", "platform-secret"] },
  { method: "GET", path: "/webhook/{type}/{slug}", handler: "http/webhook.verify", grants: ["table:read", "keyring"] },
  { method: "POST", path: "/api/v1/messages", handler: "http/messages.create", grants: ["table:write"] },
  { method: "GET", path: "/api/v1/messages/{id}", handler: "http/messages.get", grants: ["table:write"] },
  { method: "GET", path: "/api/admin/messages", handler: "http/messages.adminList", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/messages/{id}", handler: "http/messages.adminGet", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/messages/{id}/resend", handler: "http/messages.adminResend", grants: ["table:write", "bus", "platform-secret"] },
  { method: "GET", path: "/api/admin/message-settings", handler: "http/messages.getSettings", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/admin/message-settings", handler: "http/messages.putSettings", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/message-triggers", handler: "http/messages.listTriggers", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/message-triggers", handler: "http/messages.createTrigger", grants: ["table:write", "platform-secret"] },
  { method: "PATCH", path: "/api/admin/message-triggers/{id}", handler: "http/messages.updateTrigger", grants: ["table:write", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/message-triggers/{id}", handler: "http/messages.removeTrigger", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/templates", handler: "http/templates.list", grants: ["table:read", "platform-secret"] },
  { method: "POST", path: "/api/admin/templates", handler: "http/templates.create", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/templates/{id}", handler: "http/templates.get", grants: ["table:read", "platform-secret"] },
  { method: "PATCH", path: "/api/admin/templates/{id}", handler: "http/templates.update", grants: ["table:write", "platform-secret"] },
  { method: "DELETE", path: "/api/admin/templates/{id}", handler: "http/templates.remove", grants: ["table:write", "platform-secret"] },
  { method: "POST", path: "/api/admin/templates/{id}/preview", handler: "http/templates.preview", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/v1/ari", handler: "http/channels.putAri", grants: ["table:write"] },
  { method: "GET", path: "/api/admin/channels", handler: "http/channels.overview", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/channels/rooms", handler: "http/channels.getRooms", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/admin/channels/rooms", handler: "http/channels.putRooms", grants: ["table:write", "platform-secret"] },
  { method: "GET", path: "/api/admin/channels/parity", handler: "http/channels.parity", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/admin/channels/reservations", handler: "http/channels.reservations", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/channels/{providerId}/mapping", handler: "http/channels.getMapping", grants: ["table:read", "platform-secret"] },
  { method: "PUT", path: "/api/admin/channels/{providerId}/mapping", handler: "http/channels.putMapping", grants: ["table:write", "queues", "platform-secret"] },
  { method: "GET", path: "/api/admin/channels/{providerId}/rooms", handler: "http/channels.channelRooms", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "POST", path: "/api/admin/channels/{providerId}/pull", handler: "http/channels.pullNow", grants: ["table:write", "keyring", "platform-secret"] },
] as const satisfies readonly Route[];

export function routeKey(route: Pick<Route, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}
