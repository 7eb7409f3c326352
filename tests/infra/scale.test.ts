import { describe, expect, it } from "vitest";
import { routeGroup } from "../../infra/route-functions.ts";
import { handlerFile, type HandlerRef } from "../../packages/functions/src/grants.ts";
import { routeKey, routes, type Route } from "../../packages/functions/src/routes.ts";
import { QUOTA, quotaUsage, synthesizeRoutes } from "./synth.ts";

/**
 * Each route again under `<group>/x2/`, in a new handler module of its own
 * (`http/x2-<module>`): twice the routes and twice the route functions, each group
 * doubled in place — the way the table grows when capabilities add modules.
 */
function doubled(table: readonly Route[]): Route[] {
  const copies = table.map((route): Route => {
    const segments = route.path.split("/").filter(Boolean);
    const groupAt = segments[0] === "api" && segments.length > 1 ? 1 : 0;
    segments.splice(groupAt + 1, 0, "x2");
    const { file, exportName } = handlerFile(route.handler);
    const module = file.replace(/([^/]+)$/, "x2-$1");
    return { ...route, path: `/${segments.join("/")}`, handler: `${module}.${exportName}` as HandlerRef };
  });
  return [...table, ...copies];
}

describe("the stacks with twice the routes", () => {
  // The real table must stay within HEADROOM of the quotas (stacks.test.ts); twice
  // the routes must still deploy. When this fails while the real table passes, the
  // busiest route group needs splitting before the table doubles again.
  it("keep every stack within CloudFormation's quotas", async () => {
    const table = doubled(routes);
    expect(table).toHaveLength(routes.length * 2);
    expect(new Set(table.map(routeKey)).size).toBe(table.length);
    expect(new Set(table.map((route) => routeGroup(route.path)))).toEqual(new Set(routes.map((route) => routeGroup(route.path))));

    const templates = await synthesizeRoutes(table);
    const usage = quotaUsage(templates);
    console.log(`CloudFormation usage with ${table.length} routes: ${usage.map(({ line }) => line).join("; ")}`);
    for (const { stack, resources, outputs, kb } of usage) {
      expect(resources, stack).toBeLessThanOrEqual(QUOTA.resources);
      expect(outputs, stack).toBeLessThanOrEqual(QUOTA.outputs);
      expect(kb, stack).toBeLessThanOrEqual(QUOTA.kb);
    }
    const routeResources = Object.values(templates).reduce((sum, template) => sum + Object.keys(template.findResources("AWS::ApiGatewayV2::Route")).length, 0);
    expect(routeResources).toBe(table.length);
  }, 60_000);
});
