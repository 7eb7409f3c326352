import type { ProviderView } from "@sambung/core/provider/record";
import { lambdaContext } from "@sambung/functions/local/lambda-context";
import { functionUrl, type AwsLambdaGlobal, type ResponsePrelude, type StreamifiedHandler } from "@sambung/functions/middleware/function-url";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { resolve } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { planStreamFunctions, writeStreamEntries } from "../../infra/route-functions.ts";
import { routes } from "../../packages/functions/src/routes.ts";
import { startAnthropicFake, type AiFake } from "../fakes/ai.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * The AWS path of a streaming route: the generated Function URL entry of
 * POST /api/v1/ai/chat (infra/route-functions.ts), run the way Lambda's Node
 * runtime runs a streamified handler. The `awslambda` global and the response
 * stream are stand-ins that behave as the runtime's do
 * (github.com/aws/aws-lambda-nodejs-runtime-interface-client, src/stream/
 * response-stream.ts and http-response-stream.ts): `HttpResponseStream.from`
 * sets the content type and queues the JSON prelude, which goes out, followed by
 * 8 null bytes, on the first `write()` call only (an `end(chunk)` alone never
 * sends it). The test runtime runs in this process, so the handler uses its ports
 * and a simulated Anthropic API, as Lambda would use its own.
 */

const PRELUDE_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
const DELIMITER = "\0".repeat(8);

/** What the runtime would send to Lambda's front end, piece by piece. */
class FakeResponseStream extends Writable {
  contentType = "application/octet-stream";
  /** Each piece as it left, in order: the prelude, the delimiter, then the body writes. */
  readonly wire: string[] = [];
  private writeCalled = false;
  beforeFirstWrite: ((write: (chunk: string) => void) => void) | undefined;

  setContentType(type: string): void {
    if (this.writeCalled) throw new Error("Cannot set content-type, too late.");
    this.contentType = type;
  }

  override write(chunk: string): boolean {
    if (!this.writeCalled) this.beforeFirstWrite?.((piece) => this.wire.push(piece));
    this.writeCalled = true;
    return super.write(chunk);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (chunk.length > 0) {
      this.wire.push(chunk.toString("utf8"));
      this.emit("piece");
    }
    done();
  }

  /** The prelude as sent (undefined when it never was). */
  prelude(): ResponsePrelude | undefined {
    const at = this.wire.indexOf(DELIMITER);
    return at > 0 ? (JSON.parse(this.wire[at - 1] ?? "") as ResponsePrelude) : undefined;
  }

  /** The body pieces after the prelude and its delimiter. */
  body(): string[] {
    return this.wire.slice(this.wire.indexOf(DELIMITER) + 1);
  }

  /** Resolves once a body piece matches. */
  until(test: (piece: string) => boolean): Promise<string> {
    return new Promise((done) => {
      const check = () => {
        const found = this.body().find(test);
        if (found === undefined) return;
        this.off("piece", check);
        done(found);
      };
      this.on("piece", check);
      check();
    });
  }
}

const fakeAwsLambda: AwsLambdaGlobal = {
  // The runtime marks the handler as streaming and calls it with (event, responseStream, context).
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, prelude) {
      const fake = stream as FakeResponseStream;
      fake.setContentType(PRELUDE_CONTENT_TYPE);
      const json = JSON.stringify(prelude);
      fake.beforeFirstWrite = (write) => {
        write(json);
        write(DELIMITER);
      };
      return fake;
    },
  },
};

const globals = globalThis as unknown as { awslambda?: AwsLambdaGlobal };

let hub: TestRuntime;
let anthropic: AiFake;
let key: string;
let handler: StreamifiedHandler;

/** Holds the fake's stream after its first piece of text until released. */
let held: Promise<void> | undefined;
let release = () => {};

const MESSAGES = [{ role: "user", content: "Halo, is room 12 free tonight?" }];
const ANSWER = "Terima kasih! You said: Halo, is room 12 free tonight?";

/** A Function URL's event (payload 2.0): the route key is "$default", whatever the path. */
function urlEvent(body: unknown, options: { method?: string; path?: string; authorization?: string } = {}): APIGatewayProxyEventV2 {
  const path = options.path ?? "/api/v1/ai/chat";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { authorization: options.authorization ?? `Bearer ${key}`, "content-type": "application/json", host: "abc123.lambda-url.ap-southeast-1.on.aws" },
    requestContext: {
      accountId: "anonymous",
      apiId: "abc123",
      domainName: "abc123.lambda-url.ap-southeast-1.on.aws",
      domainPrefix: "abc123",
      http: { method: options.method ?? "POST", path, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "vitest" },
      requestId: "req-url-1",
      routeKey: "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

async function invoke(event: APIGatewayProxyEventV2): Promise<FakeResponseStream> {
  const stream = new FakeResponseStream();
  await handler(event, stream, lambdaContext("stream-ai-chat", 130_000));
  return stream;
}

beforeAll(async () => {
  [hub, anthropic] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startAnthropicFake({ apiKey: "sk-ant-good-0001", models: ["claude-haiku-4-5"], streamGate: () => held ?? Promise.resolve() }),
  ]);
  const created = await hub.api<ProviderView>("POST", "/api/admin/providers", {
    type: "ai",
    name: "Claude",
    presetId: "anthropic",
    apiFormat: "anthropic",
    baseUrl: anthropic.url,
    sandboxBaseUrl: anthropic.url,
    secrets: { apiKey: "sk-ant-good-0001" },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await hub.api("PUT", "/api/admin/features", { mappings: [{ featureKey: "ai.concierge", primaryProviderId: created.body.id }] })).status).toBe(200);
  key = (await hub.api<{ key: string }>("POST", "/api/admin/api-keys", { name: "concierge bot", scopes: ["ai"] })).body.key;

  // The entry the stack deploys for the route, loaded the way Lambda loads it: with the global in place.
  globals.awslambda = fakeAwsLambda;
  writeStreamEntries(routes);
  const [entry] = planStreamFunctions(routes).filter((fn) => fn.description === "stream POST /api/v1/ai/chat");
  if (!entry) throw new Error("the route table has no streaming POST /api/v1/ai/chat");
  handler = ((await import(pathToFileURL(resolve(`${entry.entry}.ts`)).href)) as { handler: StreamifiedHandler }).handler;
});

afterEach(() => {
  globals.awslambda = fakeAwsLambda;
});

afterAll(async () => {
  delete globals.awslambda;
  await anthropic?.close();
  await hub?.close();
});

describe("a streaming route behind a Lambda Function URL", () => {
  it("sends the status and SSE headers first, then each event as the provider produces it", async () => {
    held = new Promise<void>((resolve) => {
      release = () => {
        held = undefined;
        resolve();
      };
    });
    const stream = new FakeResponseStream();
    const running = handler(urlEvent({ featureKey: "ai.concierge", messages: MESSAGES, stream: true }), stream, lambdaContext("stream-ai-chat", 130_000));

    // The provider holds the rest of its answer until released: a buffered handler would never get here.
    const first = await stream.until((piece) => piece.includes('"delta"'));
    expect(held).toBeDefined();
    expect(stream.contentType).toBe(PRELUDE_CONTENT_TYPE);
    expect(stream.wire[0]).toBe(JSON.stringify(stream.prelude()));
    expect(stream.prelude()).toEqual({
      statusCode: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no", "x-correlation-id": "req-url-1" },
    });
    expect(stream.body().some((piece) => piece.includes('"done"'))).toBe(false);
    expect(first).toMatch(/^data: \{"delta":".+"\}\n\n$/);
    expect(stream.writableEnded).toBe(false);

    release();
    await running;
    expect(stream.writableEnded).toBe(true);
    const events = stream.body().map((piece) => JSON.parse(piece.replace(/^data: /, "")) as { delta?: string; done?: boolean; provider?: string });
    // One write per event: each left as soon as it was produced.
    expect(events.length).toBeGreaterThan(3);
    expect(events.map((event) => event.delta ?? "").join("")).toBe(ANSWER);
    expect(events.at(-1)).toMatchObject({ done: true, usedFallback: false, usage: { inputTokens: 6, outputTokens: 10 }, finishReason: "stop" });
  });

  it("answers without stream: true in one JSON body, prelude first", async () => {
    const stream = await invoke(urlEvent({ featureKey: "ai.concierge", messages: MESSAGES }));
    expect(stream.prelude()).toMatchObject({ statusCode: 200, headers: { "content-type": "application/json; charset=utf-8" } });
    expect(JSON.parse(stream.body().join(""))).toMatchObject({ message: { role: "assistant", content: ANSWER } });
    expect(stream.writableEnded).toBe(true);
  });

  it("authenticates the API key itself (the URL has no IAM auth): a wrong key is a 401 problem", async () => {
    const stream = await invoke(urlEvent({ featureKey: "ai.concierge", messages: MESSAGES, stream: true }, { authorization: "Bearer sbk_wrong" }));
    expect(stream.prelude()?.statusCode).toBe(401);
    expect(stream.prelude()?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(stream.body().join(""))).toMatchObject({ error: { code: expect.any(String), correlationId: "req-url-1" } });
  });

  it("validates the body as the API does: 400 naming the field", async () => {
    const stream = await invoke(urlEvent({ featureKey: "ai.concierge", messages: [], stream: true }));
    expect(stream.prelude()?.statusCode).toBe(400);
    expect(JSON.parse(stream.body().join(""))).toMatchObject({ error: { code: "invalid_input", issues: expect.arrayContaining([expect.objectContaining({ path: "body.messages" })]) } });
  });

  it("serves its route's path and method only: 404 elsewhere, 405 for another method", async () => {
    const elsewhere = await invoke(urlEvent({}, { path: "/api/v1/payments" }));
    expect(elsewhere.prelude()?.statusCode).toBe(404);
    expect(JSON.parse(elsewhere.body().join(""))).toMatchObject({ error: { code: "no_route" } });
    const get = await invoke(urlEvent({}, { method: "GET" }));
    expect(get.prelude()).toMatchObject({ statusCode: 405, headers: { allow: "POST" } });
  });

  it("refuses at load: no awslambda global, a route key not in the table, a missing stream export", () => {
    const stream = async () => {};
    expect(() => functionUrl("POST /api/v1/nothing", stream)).toThrow(/no route POST \/api\/v1\/nothing in the route table/);
    expect(() => functionUrl("POST /api/v1/ai/chat", undefined)).toThrow(/no streaming handler export/);
    delete globals.awslambda;
    expect(() => functionUrl("POST /api/v1/ai/chat", stream)).toThrow(/awslambda global is missing/);
  });
});
