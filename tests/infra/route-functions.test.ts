import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { dispatch } from "@sambung/functions/middleware/dispatch";
import type { HttpHandler } from "@sambung/functions/middleware/http";
import { usePorts } from "@sambung/functions/ports";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  entryHandler,
  entrySource,
  ENTRY_ROOT,
  planRouteFunctions,
  planStreamFunctions,
  routeGroup,
  streamEntryHandler,
  streamEntrySource,
  writeRouteEntries,
  writeStreamEntries,
} from "../../infra/route-functions.ts";
import { handlerFile } from "../../packages/functions/src/grants.ts";
import { routeKey, routes, type Route } from "../../packages/functions/src/routes.ts";
import { tempDir } from "../support/runtime.ts";

const dir = tempDir();
beforeAll(() => usePorts(createLocalPorts(dir.path)));
afterAll(() => dir.remove());

const context = {} as Context;
function event(key: string): APIGatewayProxyEventV2 {
  const [method, path] = key.split(" ") as [string, string];
  return {
    version: "2.0",
    routeKey: key,
    rawPath: path,
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: "req-1", http: { method, path, sourceIp: "127.0.0.1" } },
  } as unknown as APIGatewayProxyEventV2;
}

const table: Route[] = [
  { method: "GET", path: "/api/admin/things", handler: "http/things.list", grants: ["table:read", "platform-secret"] },
  { method: "GET", path: "/api/admin/things/{id}", handler: "http/things.get", grants: ["platform-secret", "table:read", "table:read"] },
  { method: "POST", path: "/api/admin/things", handler: "http/things.create", grants: ["table:write", "keyring", "platform-secret"] },
  { method: "GET", path: "/api/v1/things", handler: "http/things.list", grants: ["table:read"] },
  { method: "POST", path: "/webhook/{type}/{slug}", handler: "http/webhook.receive", grants: ["table:write", "keyring"] },
  { method: "GET", path: "/health", handler: "http/health.handler", grants: ["table:read"] },
];

describe("route groups", () => {
  it("are the first path segment under /api, or else the first segment", () => {
    expect(routeGroup("/api/admin/providers/{id}")).toBe("admin");
    expect(routeGroup("/api/v1/payments")).toBe("v1");
    expect(routeGroup("/api/auth/login")).toBe("auth");
    expect(routeGroup("/webhook/{type}/{slug}")).toBe("webhook");
    expect(routeGroup("/health")).toBe("health");
    expect(() => routeGroup("/{tenant}/x")).toThrow(/no fixed first segment/);
  });
});

describe("the route function plan", () => {
  const plan = planRouteFunctions(table);
  const all = [...plan.values()].flat();

  it("gives the routes of one module with the same grants in one group one function", () => {
    expect([...plan.keys()]).toEqual(["admin", "v1", "webhook", "health"]);
    const reads = all.find((fn) => fn.group === "admin" && fn.grants.join() === "platform-secret,table:read");
    expect(reads?.routes.map(routeKey)).toEqual(["GET /api/admin/things", "GET /api/admin/things/{id}"]);
  });

  it("never gives a route more grants than it names: another grant set is another function", () => {
    for (const fn of all) {
      for (const route of fn.routes) expect(fn.grants, routeKey(route)).toEqual([...new Set(route.grants)].toSorted());
    }
    expect(all.filter((fn) => fn.module === "http/things").map((fn) => `${fn.group} ${fn.grants.join(" ")}`)).toEqual([
      "admin platform-secret table:read",
      "admin keyring platform-secret table:write",
      "v1 table:read",
    ]);
  });

  it("covers every route exactly once, with ids unique in each group", () => {
    expect(all.flatMap((fn) => fn.routes).map(routeKey).toSorted()).toEqual(table.map(routeKey).toSorted());
    for (const functions of plan.values()) expect(new Set(functions.map((fn) => fn.id)).size).toBe(functions.length);
    expect(new Set(all.map((fn) => fn.description)).size).toBe(all.length);
  });

  it("refuses a route key listed twice", () => {
    expect(() => planRouteFunctions([...table, { ...(table[0] as Route), handler: "http/other.list" }])).toThrow(/twice/);
  });

  it("plans every route of the real table", () => {
    const real = [...planRouteFunctions(routes).values()].flat();
    expect(real.flatMap((fn) => fn.routes).length).toBe(routes.length);
    // Sharing is the point: fewer functions than routes.
    expect(real.length).toBeLessThan(routes.length);
  });
});

describe("route entries", () => {
  it("map each route key of a module to the export the route table names, and nothing else", () => {
    const source = entrySource("http/things", table);
    expect(source).toContain(`"GET /api/admin/things": handlers.list,`);
    expect(source).toContain(`"GET /api/v1/things": handlers.list,`);
    expect(source).toContain(`"POST /api/admin/things": handlers.create,`);
    expect(source).not.toContain("webhook");
    expect(source).toContain(`from "../../../packages/functions/src/http/things.ts"`);
    expect(entryHandler("http/things")).toBe(`${ENTRY_ROOT}/http/things.handler`);
    // Lambda splits the handler at its first dot.
    expect(entryHandler("http/health-providers").split(".")).toHaveLength(2);
  });

  it("are written for every module of the real table, load, and dispatch each route key to its export", async () => {
    const written = writeRouteEntries(routes);
    const modules = [...new Set(routes.map((route) => handlerFile(route.handler).file))];
    expect(written.length).toBe(modules.length);
    for (const module of modules) {
      const path = resolve(`${ENTRY_ROOT}/${module}.ts`);
      expect(readFileSync(path, "utf8")).toBe(entrySource(module, routes));
      // Loading runs dispatch(), which refuses a route whose export is missing.
      const entry = (await import(pathToFileURL(path).href)) as { handler: HttpHandler };
      expect(entry.handler, module).toEqual(expect.any(Function));
    }
    const health = (await import(pathToFileURL(resolve(`${ENTRY_ROOT}/http/health.ts`)).href)) as { handler: HttpHandler };
    const ok = await health.handler(event("GET /health"), context);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body ?? "{}")).toHaveProperty("store");
    const stray = await health.handler(event("GET /api/admin/providers"), context);
    expect(stray.statusCode).toBe(404);
    expect(JSON.parse(stray.body ?? "{}")).toMatchObject({ error: { code: "not_found", correlationId: "req-1" } });
  }, 30_000);
});

describe("streaming routes", () => {
  const streaming: Route[] = [
    { method: "POST", path: "/api/v1/things/{id}/chat", handler: "http/things.chat", stream: "http/things.chatStream", grants: ["table:write", "keyring", "table:write"] },
    { method: "GET", path: "/api/v1/things", handler: "http/things.list", grants: ["table:read"] },
  ];

  it("get a function each, in the route's group, with the route's grants", () => {
    const planned = planStreamFunctions(streaming);
    expect(planned).toEqual([
      {
        group: "v1",
        route: streaming[0],
        grants: ["keyring", "table:write"],
        id: "StreamPostApiV1ThingsIdChat",
        description: "stream POST /api/v1/things/{id}/chat",
        entry: `${ENTRY_ROOT}/stream/post-api-v1-things-id-chat`,
      },
    ]);
    // Lambda splits the handler at its first dot.
    expect(streamEntryHandler(planned[0] as (typeof planned)[0]).split(".")).toEqual([`${ENTRY_ROOT}/stream/post-api-v1-things-id-chat`, "handler"]);
  });

  it("have an entry that wraps the route's stream export for a Function URL", () => {
    const [planned] = planStreamFunctions(streaming);
    const source = streamEntrySource(planned as NonNullable<typeof planned>);
    expect(source).toContain(`import * as handlers from "../../../packages/functions/src/http/things.ts";`);
    expect(source).toContain(`import { functionUrl } from "../../../packages/functions/src/middleware/function-url.ts";`);
    expect(source).toContain(`export const handler = functionUrl("POST /api/v1/things/{id}/chat", handlers.chatStream);`);
  });

  it("are written for every streaming route of the real table", () => {
    const written = writeStreamEntries(routes);
    const planned = planStreamFunctions(routes);
    expect(planned.length).toBeGreaterThan(0);
    expect(written).toEqual(planned.map((fn) => `${fn.entry}.ts`));
    for (const fn of planned) expect(readFileSync(resolve(`${fn.entry}.ts`), "utf8")).toBe(streamEntrySource(fn));
  });
});

describe("dispatch", () => {
  it("fails at load when the route table names an export the module lacks", () => {
    const ok: HttpHandler = async () => ({ statusCode: 204 });
    expect(() => dispatch("http/things", { "GET /a": ok, "GET /b": undefined })).toThrow(/http\/things has no handler export for GET \/b/);
  });

  it("hands each route key to its handler", async () => {
    const calls: string[] = [];
    const handler = (name: string): HttpHandler => async (incoming) => {
      calls.push(`${name} ${incoming.routeKey}`);
      return { statusCode: 200 };
    };
    const routed = dispatch("http/things", { "GET /a": handler("a"), "POST /a": handler("b") });
    await routed(event("POST /a"), context);
    await routed(event("GET /a"), context);
    expect(calls).toEqual(["b POST /a", "a GET /a"]);
  });
});
