import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { ConflictError, RateLimitedError } from "@sambung/core/error";
import { http } from "@sambung/functions/middleware/http";
import { usePorts } from "@sambung/functions/ports";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { tempDir } from "../support/runtime.ts";

const dir = tempDir();
beforeAll(() => usePorts(createLocalPorts(dir.path)));
afterAll(() => dir.remove());

const context = {} as Context;
function event(body?: string, headers: Record<string, string> = { "content-type": "application/json" }): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /x",
    rawPath: "/x",
    rawQueryString: "",
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { requestId: "req-1", http: { method: "POST", path: "/x", sourceIp: "127.0.0.1" } },
  } as unknown as APIGatewayProxyEventV2;
}

describe("the HTTP handler stack", () => {
  it("hides internals of unexpected errors behind a 500 with the correlation id", async () => {
    const handler = http({ auth: { public: true } }, async () => {
      throw new Error("database password is hunter2 at /srv/secret/path");
    });
    const result = await handler(event(), context);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain("hunter2");
    expect(result.body).not.toContain("/srv/secret");
    expect(JSON.parse(result.body ?? "{}")).toMatchObject({ error: { code: "internal", correlationId: "req-1" } });
  });

  it("maps domain errors to their status and Retry-After", async () => {
    const conflict = await http({ auth: { public: true } }, async () => {
      throw new ConflictError("that key was used with another body");
    })(event(), context);
    expect(conflict.statusCode).toBe(409);
    const limited = await http({ auth: { public: true } }, async () => {
      throw new RateLimitedError("slow down", 7);
    })(event(), context);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers?.["retry-after"]).toBe("7");
  });

  it("refuses a non-JSON content type for a JSON body, saying what to send", async () => {
    const handler = http({ auth: { public: true }, body: z.object({ a: z.number() }) }, async ({ body }) => ({ body }));
    const result = await handler(event('{"a":1}', { "content-type": "text/plain" }), context);
    expect(result.statusCode).toBe(400);
    expect(result.body).toContain("application/json");
    const ok = await handler(event('{"a":1}'), context);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body ?? "")).toEqual({ a: 1 });
  });

  it("reports every failing field at once", async () => {
    const handler = http({ auth: { public: true }, body: z.object({ a: z.number(), b: z.string() }) }, async () => ({}));
    const result = await handler(event('{"a":"x"}'), context);
    const issues = (JSON.parse(result.body ?? "{}") as { error: { issues: { path: string }[] } }).error.issues;
    expect(issues.map((issue) => issue.path).sort()).toEqual(["body.a", "body.b"]);
  });
});
