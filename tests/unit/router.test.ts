import { Router } from "@sambung/functions/local/router";
import { routes } from "@sambung/functions/routes";
import { describe, expect, it } from "vitest";

describe("the local router", () => {
  const router = new Router([
    { method: "GET", path: "/api/items/{id}", handler: "http/items.get", grants: [] },
    { method: "GET", path: "/api/items/special", handler: "http/items.special", grants: [] },
    { method: "POST", path: "/api/items/{id}/tags/{tag}", handler: "http/items.tag", grants: [] },
    { method: "GET", path: "/files/{proxy+}", handler: "http/files.get", grants: [] },
  ]);

  it("prefers literal segments over parameters, as API Gateway does", () => {
    expect(router.match("GET", "/api/items/special")).toMatchObject({ kind: "found", route: { handler: "http/items.special" } });
    expect(router.match("GET", "/api/items/42")).toMatchObject({ kind: "found", params: { id: "42" } });
  });

  it("decodes parameters and matches greedy paths", () => {
    expect(router.match("POST", "/api/items/a%20b/tags/x")).toMatchObject({ params: { id: "a b", tag: "x" } });
    expect(router.match("GET", "/files/a/b/c.txt")).toMatchObject({ params: { proxy: "a/b/c.txt" } });
  });

  it("tells a wrong method from a missing route", () => {
    expect(router.match("DELETE", "/api/items/1")).toEqual({ kind: "method-not-allowed", allowed: ["GET"] });
    expect(router.match("GET", "/api/other")).toEqual({ kind: "not-found" });
    expect(router.match("GET", "/api/items/1/extra")).toEqual({ kind: "not-found" });
  });

  it("has no route key twice in the route table", () => {
    const keys = routes.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
