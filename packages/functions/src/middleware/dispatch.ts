import { NotFoundError } from "@sambung/core/error";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { toProblem, type HttpHandler } from "./http.ts";

/**
 * One Lambda function serves several routes of one handler module (see
 * infra/route-functions.ts): API Gateway names the matched route in
 * `event.routeKey` ("GET /api/admin/providers/{id}"), and this hands the event to
 * the export the route table names for it. The table is checked when the module
 * loads, so a route naming a missing export fails the cold start, not a request.
 */
export function dispatch(module: string, table: Record<string, HttpHandler | undefined>): HttpHandler {
  const handlers = new Map<string, HttpHandler>();
  for (const [routeKey, handler] of Object.entries(table)) {
    if (typeof handler !== "function") throw new Error(`${module} has no handler export for ${routeKey}; check the route table`);
    handlers.set(routeKey, handler);
  }
  return async (event: APIGatewayProxyEventV2, context: Context) => {
    const handler = handlers.get(event.routeKey);
    if (handler) return handler(event, context);
    const correlationId = event.headers?.["x-correlation-id"] ?? event.requestContext?.requestId ?? randomUUID();
    // Only a route wired to the wrong function gets here; the caller can do nothing about it but report it.
    return toProblem(new NotFoundError(`route ${event.routeKey} in ${module}`), correlationId);
  };
}
