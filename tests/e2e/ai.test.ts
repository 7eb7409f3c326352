import type { ProviderView } from "@sambung/core/provider/record";
import { chat as bufferedChat } from "@sambung/functions/http/ai";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { CallRecord } from "@sambung/core/telemetry/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnthropicFake, startGeminiFake, startOpenAiFake, type AiFake } from "../fakes/ai.ts";
import { closedPortUrl } from "../fakes/server.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * Issue #9, AI: POST /api/v1/ai/chat over real HTTP with an API key, against
 * simulated OpenAI, Anthropic and Gemini APIs: one answer shape for the three
 * formats, streamed as server-sent events when asked (really streamed: the first
 * piece reaches the caller while the provider still holds the rest), token usage
 * in the call log, and fallback when the primary is not reachable.
 */

let hub: TestRuntime;
let key: string;
const fakes: Record<string, AiFake> = {};
const providers: Record<string, ProviderView> = {};

/** Holds a fake's stream after its first piece of text until released. */
function gate() {
  let held: Promise<void> | undefined;
  let release = () => {};
  return {
    wait: () => held ?? Promise.resolve(),
    isHeld: () => held !== undefined,
    hold() {
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined;
          resolve();
        };
      });
    },
    release: () => release(),
  };
}
const gates = { openai: gate(), anthropic: gate(), gemini: gate() };

interface ChatResult {
  id: string;
  provider: string;
  usedFallback: boolean;
  model: string;
  message: { role: string; content: string };
  usage: { inputTokens: number; outputTokens: number };
  finishReason: string;
}

interface Problem {
  error: { code: string; message: string; providers?: { provider: string; role: string; outcome: string }[] };
}

const MESSAGES = [
  { role: "system", content: "You are the front desk of Hotel Sambung." },
  { role: "user", content: "Halo, is room 12 free tonight?" },
];
const ANSWER = "Terima kasih! You said: Halo, is room 12 free tonight?";
/** The fakes count words: 8 in the system prompt, 6 in the question; 10 in the answer. */
const USAGE = { inputTokens: 14, outputTokens: 10 };

async function post(body: unknown, as = key): Promise<Response> {
  return fetch(`${hub.url}/api/v1/ai/chat`, { method: "POST", headers: { authorization: `Bearer ${as}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function chat<T = ChatResult>(body: unknown): Promise<{ status: number; body: T }> {
  const response = await post(body);
  return { status: response.status, body: (await response.json()) as T };
}

interface Streamed {
  deltas: string[];
  done: Record<string, unknown> | undefined;
  errors: unknown[];
  contentType: string | null;
}

/** Reads the hub's event stream; `onFirstDelta` runs as soon as the first piece of text has arrived. */
async function stream(body: unknown, onFirstDelta?: () => void): Promise<Streamed> {
  const response = await post({ ...(body as object), stream: true });
  expect(response.status).toBe(200);
  const out: Streamed = { deltas: [], done: undefined, errors: [], contentType: response.headers.get("content-type") };
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split("\n").find((line) => line.startsWith("data: "))?.slice(6) ?? "";
      if (block.startsWith("event: error")) {
        out.errors.push(JSON.parse(data));
        continue;
      }
      const event = JSON.parse(data) as { delta?: string; done?: boolean };
      if (typeof event.delta === "string") {
        out.deltas.push(event.delta);
        if (out.deltas.length === 1) onFirstDelta?.();
      } else if (event.done) out.done = event;
    }
  }
  return out;
}

async function createProvider(name: string, presetId: string, apiFormat: string, baseUrl: string, apiKey: string, config: Record<string, unknown> = {}) {
  const created = await hub.api<ProviderView>("POST", "/api/admin/providers", { type: "ai", name, presetId, apiFormat, baseUrl, sandboxBaseUrl: baseUrl, secrets: { apiKey }, config });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

beforeAll(async () => {
  const [runtime, openai, anthropic, gemini, overloaded] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startOpenAiFake({ apiKey: "sk-proj-good-0001", models: ["gpt-4o-mini", "gpt-4o"], streamGate: () => gates.openai.wait() }),
    startAnthropicFake({ apiKey: "sk-ant-good-0001", models: ["claude-haiku-4-5"], streamGate: () => gates.anthropic.wait() }),
    startGeminiFake({ apiKey: "AIza-good-0001", models: ["gemini-2.5-flash"], streamGate: () => gates.gemini.wait() }),
    startOpenAiFake({ apiKey: "sk-proj-busy-0001", models: ["gpt-4o-mini"] }),
  ]);
  hub = runtime;
  Object.assign(fakes, { openai, anthropic, gemini, overloaded });
  providers.openai = await createProvider("OpenAI", "openai", "openai_compatible", `${openai.url}/v1`, "sk-proj-good-0001");
  providers.anthropic = await createProvider("Claude", "anthropic", "anthropic", anthropic.url, "sk-ant-good-0001");
  providers.gemini = await createProvider("Gemini", "google-gemini", "gemini", `${gemini.url}/v1beta`, "AIza-good-0001");
  providers.overloaded = await createProvider("OpenAI (busy)", "openai", "openai_compatible", `${overloaded.url}/v1`, "sk-proj-busy-0001", { breaker: { failureThreshold: 2, openSeconds: 60 } });
  providers.gone = await createProvider("OpenAI (gone)", "openai", "openai_compatible", `${await closedPortUrl()}/v1`, "sk-proj-gone-0001");
  const mappings = [
    { featureKey: "ai.openai", primaryProviderId: providers.openai.id },
    { featureKey: "ai.anthropic", primaryProviderId: providers.anthropic.id },
    { featureKey: "ai.gemini", primaryProviderId: providers.gemini.id },
    { featureKey: "ai.concierge", primaryProviderId: providers.overloaded.id, fallbackProviderId: providers.anthropic.id },
    { featureKey: "ai.unreachable", primaryProviderId: providers.gone.id, fallbackProviderId: providers.gemini.id },
  ];
  expect((await hub.api("PUT", "/api/admin/features", { mappings })).status).toBe(200);
  key = (await hub.api<{ key: string }>("POST", "/api/admin/api-keys", { name: "concierge bot", scopes: ["ai"] })).body.key;
});

afterAll(async () => {
  await Promise.all(Object.values(fakes).map((fake) => fake.close()));
  await hub?.close();
});

const FORMATS = [
  { name: "openai_compatible", feature: "ai.openai", fake: "openai", model: "gpt-4o-mini-2024-07-18" },
  { name: "anthropic", feature: "ai.anthropic", fake: "anthropic", model: "claude-haiku-4-5-20251001" },
  { name: "gemini", feature: "ai.gemini", fake: "gemini", model: "gemini-2.5-flash" },
] as const;

describe.each(FORMATS)("$name", ({ feature, fake, model }) => {
  it("answers in the one shape, with token usage", async () => {
    const { status, body } = await chat({ featureKey: feature, messages: MESSAGES });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({
      id: expect.any(String),
      provider: providers[fake]?.slug,
      usedFallback: false,
      model,
      message: { role: "assistant", content: ANSWER },
      usage: USAGE,
      finishReason: "stop",
    });
  });

  it("streams server-sent events as the provider produces them, ending with the same usage", async () => {
    const held = gates[fake];
    held.hold();
    let heldWhenFirstArrived = false;
    // A hub that buffered would wait for the provider's end, which waits for this release: the test would time out.
    const streamed = await stream({ featureKey: feature, messages: MESSAGES }, () => {
      heldWhenFirstArrived = held.isHeld();
      held.release();
    });
    expect(heldWhenFirstArrived).toBe(true);
    expect(streamed.contentType).toBe("text/event-stream; charset=utf-8");
    expect(streamed.errors).toEqual([]);
    expect(streamed.deltas.length).toBeGreaterThan(3);
    expect(streamed.deltas.join("")).toBe(ANSWER);
    expect(streamed.done).toEqual({ done: true, id: expect.any(String), provider: providers[fake]?.slug, usedFallback: false, model, usage: USAGE, finishReason: "stop" });
  });

  it("logs each call's token usage in the provider's call log", async () => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const calls = await hub.api<{ items: CallRecord[] }>("GET", `/api/admin/providers/${providers[fake]?.id}/calls`);
    const byAction = Object.fromEntries(calls.body.items.map((entry) => [entry.action, entry]));
    expect(byAction["ai.chat"]).toMatchObject({ outcome: "success", idempotent: false, featureKey: feature, usage: USAGE });
    expect(byAction["ai.chat_stream"]).toMatchObject({ outcome: "success", featureKey: feature, usage: USAGE });
    // The guest's words stay out of the log.
    expect(JSON.stringify(calls.body.items)).not.toContain("room 12");
  });
});

describe("behind API Gateway, which buffers answers", () => {
  it("the route's API Gateway handler sends the same events in one body once the answer is complete", async () => {
    // The test runtime runs in this process: the handler uses its ports, as Lambda would use its own.
    const event = {
      version: "2.0",
      routeKey: "POST /api/v1/ai/chat",
      rawPath: "/api/v1/ai/chat",
      rawQueryString: "",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ featureKey: "ai.anthropic", messages: MESSAGES, stream: true }),
      isBase64Encoded: false,
      requestContext: { requestId: "req-buffered", http: { method: "POST", path: "/api/v1/ai/chat", sourceIp: "127.0.0.1" } },
    } as unknown as APIGatewayProxyEventV2;
    const result = await bufferedChat(event, {} as Context);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toBe("text/event-stream; charset=utf-8");
    const events = (result.body ?? "").split("\n\n").filter(Boolean).map((block) => JSON.parse(block.replace(/^data: /, "")) as { delta?: string; done?: boolean });
    expect(events.map((item) => item.delta ?? "").join("")).toBe(ANSWER);
    expect(events.at(-1)).toMatchObject({ done: true, provider: providers.anthropic?.slug, usage: USAGE, finishReason: "stop" });
  });
});

describe("what each vendor receives", () => {
  it("OpenAI: model, messages with the system turn, max_tokens, temperature; stream_options.include_usage when streaming", async () => {
    const { body } = await chat({ featureKey: "ai.openai", messages: MESSAGES, model: "gpt-4o", maxTokens: 4, temperature: 0.2 });
    expect(body).toMatchObject({ model: "gpt-4o-2024-07-18", message: { content: "Terima kasih! You said:" }, finishReason: "length", usage: { outputTokens: 4 } });
    const sent = fakes.openai?.chats().at(-1);
    expect(sent?.headers.authorization).toBe("Bearer sk-proj-good-0001");
    expect(sent?.fields).toEqual({ model: "gpt-4o", messages: MESSAGES, max_tokens: 4, stream: false, temperature: 0.2 });
    await stream({ featureKey: "ai.openai", messages: MESSAGES });
    expect(fakes.openai?.chats().at(-1)?.fields).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("Anthropic: the system prompt top-level, max_tokens always (1024 unless asked), x-api-key and anthropic-version", async () => {
    await chat({ featureKey: "ai.anthropic", messages: [...MESSAGES, { role: "assistant", content: "Yes." }, { role: "user", content: "Book it" }], temperature: 0.5 });
    const sent = fakes.anthropic?.chats().at(-1);
    expect(sent?.headers["x-api-key"]).toBe("sk-ant-good-0001");
    expect(sent?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent?.fields).toEqual({
      model: "claude-haiku-4-5",
      max_tokens: 1024,
      system: MESSAGES[0]?.content,
      messages: [MESSAGES[1], { role: "assistant", content: "Yes." }, { role: "user", content: "Book it" }],
      temperature: 0.5,
    });
  });

  it("Gemini: contents with user / model roles, systemInstruction, generationConfig; streamGenerateContent?alt=sse when streaming", async () => {
    await chat({ featureKey: "ai.gemini", messages: [...MESSAGES, { role: "assistant", content: "Yes." }, { role: "user", content: "Book it" }], maxTokens: 50, temperature: 0.7 });
    const sent = fakes.gemini?.chats().at(-1);
    expect(sent?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(sent?.headers["x-goog-api-key"]).toBe("AIza-good-0001");
    expect(sent?.fields).toEqual({
      contents: [
        { role: "user", parts: [{ text: MESSAGES[1]?.content }] },
        { role: "model", parts: [{ text: "Yes." }] },
        { role: "user", parts: [{ text: "Book it" }] },
      ],
      systemInstruction: { parts: [{ text: MESSAGES[0]?.content }] },
      generationConfig: { maxOutputTokens: 50, temperature: 0.7 },
    });
    await stream({ featureKey: "ai.gemini", messages: MESSAGES });
    const streamed = fakes.gemini?.chats().at(-1);
    expect(`${streamed?.path}?${streamed?.query.toString()}`).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  });
});

describe("fallback", () => {
  it("does not resend a completion the failing primary may have started; once its breaker opens, the fallback answers", async () => {
    fakes.overloaded?.outage(503);
    const before = fakes.anthropic?.chats().length ?? 0;
    for (let call = 0; call < 2; call += 1) {
      const { status, body } = await chat<Problem>({ featureKey: "ai.concierge", messages: MESSAGES });
      expect(status).toBe(502);
      expect(body.error.providers).toEqual([{ provider: providers.overloaded?.slug, role: "primary", outcome: "unavailable" }]);
    }
    expect(fakes.overloaded?.chats()).toHaveLength(2);
    expect(fakes.anthropic?.chats()).toHaveLength(before);

    const { status, body } = await chat({ featureKey: "ai.concierge", messages: MESSAGES, model: "gpt-4o-mini" });
    expect(status).toBe(200);
    // The fallback answers with its own default model: model ids are the primary's vocabulary.
    expect(body).toMatchObject({ provider: providers.anthropic?.slug, usedFallback: true, model: "claude-haiku-4-5-20251001", message: { content: ANSWER }, usage: USAGE });
    expect(fakes.overloaded?.chats()).toHaveLength(2);

    const streamed = await stream({ featureKey: "ai.concierge", messages: MESSAGES });
    expect(streamed.deltas.join("")).toBe(ANSWER);
    expect(streamed.done).toMatchObject({ provider: providers.anthropic?.slug, usedFallback: true });
  });

  it("moves to the fallback at once when the primary's host refuses the connection", async () => {
    const { body } = await chat({ featureKey: "ai.unreachable", messages: MESSAGES });
    expect(body).toMatchObject({ provider: providers.gemini?.slug, usedFallback: true, model: "gemini-2.5-flash", message: { content: ANSWER } });
  });
});

describe("bad requests", () => {
  it("answers 400 for malformed bodies, 422 with the vendor's words for an unknown model, 403 without the ai scope", async () => {
    const cases: [unknown, string][] = [
      [{ featureKey: "ai.openai", messages: [] }, "messages: send at least one message"],
      [{ featureKey: "ai.openai", messages: [{ role: "robot", content: "hi" }] }, "role: use system, user or assistant"],
      [{ featureKey: "ai.openai", messages: [{ role: "system", content: "be nice" }] }, "add at least one user message"],
      [{ featureKey: "ai.openai", messages: MESSAGES, temperature: 3 }, "body.temperature"],
      [{ featureKey: "ai.openai", messages: MESSAGES, stream: "yes" }, "body.stream"],
      [{ featureKey: "ai.nothing", messages: MESSAGES }, "no provider mapped for feature ai.nothing"],
    ];
    for (const [body, words] of cases) {
      const answer = await chat<Problem>(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.message).toContain(words);
    }
    const unknown = await chat<Problem>({ featureKey: "ai.openai", messages: MESSAGES, model: "gpt-5-nope" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: "provider_rejected", message: "OpenAI answered HTTP 404: The model `gpt-5-nope` does not exist or you do not have access to it." });

    const unknownStreamed = await post({ featureKey: "ai.anthropic", messages: MESSAGES, model: "claude-nope", stream: true });
    expect(unknownStreamed.status).toBe(422);
    expect(((await unknownStreamed.json()) as Problem).error.message).toBe("Claude answered HTTP 404: model: claude-nope");

    const filesOnly = (await hub.api<{ key: string }>("POST", "/api/admin/api-keys", { name: "files", scopes: ["files"] })).body.key;
    expect((await post({ featureKey: "ai.openai", messages: MESSAGES }, filesOnly)).status).toBe(403);
  });
});
