import { randomUUID } from "node:crypto";
import { bearer, header, routes, startHttpFake, type FakeRequest, type FakeResponse, type HttpFake } from "./server.ts";

/**
 * The AI APIs, as documented: model lists and chat completions, plain and streamed.
 * - OpenAI  GET /v1/models, `Authorization: Bearer` (platform.openai.com/docs/api-reference/models/list);
 *   POST /v1/chat/completions (platform.openai.com/docs/api-reference/chat/create), streamed as
 *   `data:` chat.completion.chunk events, a usage chunk with empty choices when
 *   stream_options.include_usage, then `data: [DONE]` (platform.openai.com/docs/api-reference/chat-streaming)
 * - Anthropic GET /v1/models, `x-api-key` + `anthropic-version`, paged by limit/after_id
 *   (docs.anthropic.com/en/api/models-list, /en/api/errors); POST /v1/messages with required
 *   max_tokens (docs.anthropic.com/en/api/messages), streamed as message_start,
 *   content_block_start, ping, content_block_delta (text_delta), content_block_stop,
 *   message_delta (stop_reason, usage), message_stop (docs.anthropic.com/en/docs/build-with-claude/streaming)
 * - Gemini GET /v1beta/models, `x-goog-api-key` header or `?key=`, paged by pageSize/pageToken
 *   (ai.google.dev/api/models#method:-models.list); a bad key is a 400 with reason API_KEY_INVALID;
 *   POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, each SSE
 *   event a GenerateContentResponse, the last with finishReason and usageMetadata, no end marker
 *   (ai.google.dev/api/generate-content).
 * The answer is the fake's own (an echo of the last user message unless `reply` says
 * otherwise); tokens are counted as words.
 */

export interface AiFakeOptions {
  apiKey: string;
  models: string[];
  /** The assistant's answer to a conversation. */
  reply?: (messages: { role: string; text: string }[]) => string;
  /** Streams wait here after their first piece of text, so a test can see it arrive before the rest. */
  streamGate?: () => Promise<void>;
}

export interface AiFake extends HttpFake {
  /** Answer chat requests with the vendor's error for this status (503 / 529 / 500) until cleared. */
  outage(status: number | undefined): void;
  /** The chat requests received, oldest first. */
  chats(): FakeRequest[];
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const pieces = (text: string) => text.match(/\S+\s*/g) ?? [text];
const echo = (messages: { role: string; text: string }[]) => `Terima kasih! You said: ${messages.filter((message) => message.role === "user").at(-1)?.text ?? ""}`;

/** The answer, cut at `max` tokens (words) when a limit was sent. */
function answerFor(options: AiFakeOptions, messages: { role: string; text: string }[], max: unknown) {
  const full = (options.reply ?? echo)(messages);
  const limit = typeof max === "number" && max > 0 ? max : Number.POSITIVE_INFINITY;
  const all = pieces(full);
  const kept = all.slice(0, Math.min(all.length, limit));
  return { text: kept.join("").trimEnd(), truncated: kept.length < all.length, inputTokens: messages.reduce((sum, message) => sum + words(message.text), 0), outputTokens: kept.length };
}

async function* sse(events: string[], gate: (() => Promise<void>) | undefined, firstTextAt: number): AsyncIterable<string> {
  for (const [index, event] of events.entries()) {
    yield event;
    if (index === firstTextAt && gate) await gate();
  }
}

const chats = (fake: HttpFake, path: RegExp) => () => fake.requests.filter((request) => request.method === "POST" && path.test(request.path));

const masked = (key: string) => `${key.slice(0, 3)}${"*".repeat(Math.max(0, key.length - 7))}${key.slice(-4)}`;

export async function startOpenAiFake(options: AiFakeOptions): Promise<AiFake> {
  const refused = (request: FakeRequest): FakeResponse | undefined => {
    const key = bearer(request);
    if (!key) {
      return {
        status: 401,
        json: {
          error: {
            message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            type: "invalid_request_error",
            param: null,
            code: null,
          },
        },
      };
    }
    if (key !== options.apiKey) {
      return {
        status: 401,
        json: {
          error: {
            message: `Incorrect API key provided: ${masked(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      };
    }
    return undefined;
  };
  const list = (request: FakeRequest): FakeResponse =>
    refused(request) ?? { json: { object: "list", data: options.models.map((id) => ({ id, object: "model", created: 1_715_367_049, owned_by: "system" })) } };
  let outage: number | undefined;
  const invalid = (message: string, param: string | null, code: string | null = null, status = 400): FakeResponse => ({
    status,
    json: { error: { message, type: "invalid_request_error", param, code } },
  });
  const completions = (request: FakeRequest): FakeResponse => {
    const denied = refused(request);
    if (denied) return denied;
    if (outage !== undefined) {
      return { status: outage, json: { error: { message: "The server is overloaded or not ready yet.", type: "server_error", param: null, code: null } } };
    }
    const body = request.fields ?? {};
    if (typeof body.model !== "string") return invalid("you must provide a model parameter", null);
    if (!options.models.includes(body.model)) return invalid(`The model \`${body.model}\` does not exist or you do not have access to it.`, null, "model_not_found", 404);
    if (!Array.isArray(body.messages) || body.messages.length === 0) return invalid("[] is too short - 'messages'", "messages");
    const messages = (body.messages as { role?: unknown; content?: unknown }[]).map((message) => ({ role: String(message.role), text: String(message.content ?? "") }));
    const answer = answerFor(options, messages, body.max_tokens);
    const id = `chatcmpl-${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = `${body.model}-2024-07-18`;
    const finish = answer.truncated ? "length" : "stop";
    const usage = { prompt_tokens: answer.inputTokens, completion_tokens: answer.outputTokens, total_tokens: answer.inputTokens + answer.outputTokens };
    if (body.stream !== true) {
      return {
        json: {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: answer.text, refusal: null }, logprobs: null, finish_reason: finish }],
          usage,
          system_fingerprint: "fp_44709d6fcb",
        },
      };
    }
    const withUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_44709d6fcb", choices, ...(withUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const events = [
      chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }]),
      ...pieces(answer.text).map((text) => chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]),
      ...(withUsage ? [chunk([], { usage })] : []),
      "data: [DONE]\n\n",
    ];
    return { headers: { "content-type": "text/event-stream; charset=utf-8" }, stream: sse(events, options.streamGate, 1) };
  };
  const fake = await startHttpFake(
    routes({ "GET /v1/models": list, "POST /v1/chat/completions": completions }, { status: 404, json: { error: { message: "Invalid URL", type: "invalid_request_error", param: null, code: null } } }),
  );
  return { ...fake, outage: (status) => void (outage = status), chats: chats(fake, /\/chat\/completions$/) };
}

export async function startAnthropicFake(options: AiFakeOptions): Promise<AiFake> {
  const error = (status: number, type: string, message: string): FakeResponse => ({
    status,
    json: { type: "error", error: { type, message }, request_id: `req_${randomUUID().replace(/-/g, "")}` },
  });
  const refused = (request: FakeRequest): FakeResponse | undefined => {
    const key = header(request, "x-api-key");
    if (!key) return error(401, "authentication_error", "x-api-key header is required");
    if (key !== options.apiKey) return error(401, "authentication_error", "invalid x-api-key");
    if (!header(request, "anthropic-version")) return error(400, "invalid_request_error", "anthropic-version: header is required");
    return undefined;
  };
  let outage: number | undefined;
  const messages = (request: FakeRequest): FakeResponse => {
    const denied = refused(request);
    if (denied) return denied;
    // 529 overloaded_error and 500 api_error (docs.anthropic.com/en/api/errors)
    if (outage !== undefined) return outage === 529 ? error(529, "overloaded_error", "Overloaded") : error(outage, "api_error", "Internal server error");
    const body = request.fields ?? {};
    if (typeof body.model !== "string") return error(400, "invalid_request_error", "model: Field required");
    if (typeof body.max_tokens !== "number") return error(400, "invalid_request_error", "max_tokens: Field required");
    if (!options.models.includes(body.model)) return error(404, "not_found_error", `model: ${body.model}`);
    if (!Array.isArray(body.messages) || body.messages.length === 0) return error(400, "invalid_request_error", "messages: at least one message is required");
    const turns = (body.messages as { role?: unknown; content?: unknown }[]).map((message) => ({ role: String(message.role), text: String(message.content ?? "") }));
    if (turns.some((turn) => turn.role === "system")) {
      return error(400, "invalid_request_error", "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.");
    }
    const all = [...(typeof body.system === "string" ? [{ role: "system", text: body.system }] : []), ...turns];
    const answer = answerFor(options, all, body.max_tokens);
    const id = `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const model = `${body.model}-20251001`;
    const stop = answer.truncated ? "max_tokens" : "end_turn";
    if (body.stream !== true) {
      return {
        json: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [{ type: "text", text: answer.text }],
          stop_reason: stop,
          stop_sequence: null,
          usage: { input_tokens: answer.inputTokens, output_tokens: answer.outputTokens },
        },
      };
    }
    const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const events = [
      event("message_start", {
        type: "message_start",
        message: { id, type: "message", role: "assistant", content: [], model, stop_reason: null, stop_sequence: null, usage: { input_tokens: answer.inputTokens, output_tokens: 1 } },
      }),
      event("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      event("ping", { type: "ping" }),
      ...pieces(answer.text).map((text) => event("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
      event("content_block_stop", { type: "content_block_stop", index: 0 }),
      event("message_delta", { type: "message_delta", delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: answer.outputTokens } }),
      event("message_stop", { type: "message_stop" }),
    ];
    return { headers: { "content-type": "text/event-stream; charset=utf-8" }, stream: sse(events, options.streamGate, 3) };
  };
  const list = (request: FakeRequest) => {
    const denied = refused(request);
    if (denied) return denied;
    const limit = Math.min(Math.max(Number(request.query.get("limit") ?? 20), 1), 1000);
    const after = request.query.get("after_id");
    const start = after ? options.models.indexOf(after) + 1 : 0;
    const page = options.models.slice(start, start + limit);
    return {
      json: {
        data: page.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" })),
        has_more: start + limit < options.models.length,
        first_id: page[0] ?? null,
        last_id: page.at(-1) ?? null,
      },
    };
  };
  const fake = await startHttpFake(routes({ "GET /v1/models": list, "POST /v1/messages": messages }, error(404, "not_found_error", "Not found")));
  return { ...fake, outage: (status) => void (outage = status), chats: chats(fake, /\/v1\/messages$/) };
}

export async function startGeminiFake(options: AiFakeOptions): Promise<AiFake> {
  const refused = (request: FakeRequest): FakeResponse | undefined => {
    const key = header(request, "x-goog-api-key") ?? request.query.get("key") ?? undefined;
    if (!key) {
      return {
        status: 403,
        json: {
          error: {
            code: 403,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            status: "PERMISSION_DENIED",
          },
        },
      };
    }
    if (key !== options.apiKey) {
      return {
        status: 400,
        json: {
          error: {
            code: 400,
            message: "API key not valid. Please pass a valid API key.",
            status: "INVALID_ARGUMENT",
            details: [
              {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                reason: "API_KEY_INVALID",
                domain: "googleapis.com",
                metadata: { service: "generativelanguage.googleapis.com" },
              },
            ],
          },
        },
      };
    }
    return undefined;
  };
  const googleError = (code: number, status: string, message: string): FakeResponse => ({ status: code, json: { error: { code, message, status } } });
  let outage: number | undefined;
  const generate = (request: FakeRequest, [call = ""]: string[]): FakeResponse => {
    const denied = refused(request);
    if (denied) return denied;
    const [model = "", method = ""] = call.split(":");
    if (method !== "generateContent" && method !== "streamGenerateContent") return googleError(404, "NOT_FOUND", `Method not found: ${method}`);
    if (!options.models.includes(model)) return googleError(404, "NOT_FOUND", `models/${model} is not found for API version v1beta, or is not supported for generateContent.`);
    if (outage !== undefined) return googleError(outage, outage === 503 ? "UNAVAILABLE" : "INTERNAL", "The model is overloaded. Please try again later.");
    const body = request.fields ?? {};
    const contents = Array.isArray(body.contents) ? (body.contents as { role?: unknown; parts?: { text?: unknown }[] }[]) : [];
    if (contents.length === 0) return googleError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
    if (contents.some((content) => content.role !== "user" && content.role !== "model")) return googleError(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.");
    const text = (parts: { text?: unknown }[] | undefined) => (parts ?? []).map((part) => String(part.text ?? "")).join("");
    const system = (body.systemInstruction as { parts?: { text?: unknown }[] } | undefined)?.parts;
    const turns = [
      ...(system ? [{ role: "system", text: text(system) }] : []),
      ...contents.map((content) => ({ role: content.role === "model" ? "assistant" : "user", text: text(content.parts) })),
    ];
    const answer = answerFor(options, turns, (body.generationConfig as { maxOutputTokens?: unknown } | undefined)?.maxOutputTokens);
    const responseId = randomUUID().replaceAll("-", "").slice(0, 22);
    const finishReason = answer.truncated ? "MAX_TOKENS" : "STOP";
    const usageMetadata = { promptTokenCount: answer.inputTokens, candidatesTokenCount: answer.outputTokens, totalTokenCount: answer.inputTokens + answer.outputTokens };
    const response = (piece: string, last: boolean) => ({
      candidates: [{ content: { parts: [{ text: piece }], role: "model" }, ...(last ? { finishReason } : {}), index: 0 }],
      ...(last ? { usageMetadata } : { usageMetadata: { promptTokenCount: answer.inputTokens, totalTokenCount: answer.inputTokens } }),
      modelVersion: model,
      responseId,
    });
    if (method === "generateContent") return { json: response(answer.text, true) };
    // Without alt=sse the stream is one JSON array; Sambung asks for server-sent events.
    if (request.query.get("alt") !== "sse") return { json: [response(answer.text, true)] };
    const all = pieces(answer.text);
    const events = all.map((piece, index) => `data: ${JSON.stringify(response(piece, index === all.length - 1))}\r\n\r\n`);
    return { headers: { "content-type": "text/event-stream" }, stream: sse(events, options.streamGate, 0) };
  };
  const list = (request: FakeRequest) => {
    const denied = refused(request);
    if (denied) return denied;
    const size = Math.min(Math.max(Number(request.query.get("pageSize") ?? 50), 1), 1000);
    const start = Number(request.query.get("pageToken") ?? 0);
    const page = options.models.slice(start, start + size);
    return {
      json: {
        models: page.map((id) => ({
          name: `models/${id}`,
          version: "001",
          displayName: id,
          supportedGenerationMethods: ["generateContent", "countTokens"],
        })),
        ...(start + size < options.models.length ? { nextPageToken: String(start + size) } : {}),
      },
    };
  };
  const fake = await startHttpFake(
    routes({ "GET /v1beta/models": list, "POST /v1beta/models/:call": generate }, { status: 404, json: { error: { code: 404, message: "Not Found", status: "NOT_FOUND" } } }),
  );
  return { ...fake, outage: (status) => void (outage = status), chats: chats(fake, /^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent$/) };
}
