import { finishReasons, streamReaderOf, type AiFormatEngine, type ChatInput, type FinishReason } from "./engine.ts";
import { eventJson, streamError } from "./stream-error.ts";
import { asRecord, str } from "../http-auth.ts";

/**
 * anthropic: the Messages API, POST /v1/messages with x-api-key and
 * anthropic-version; `max_tokens` is required and the system prompt is a
 * top-level field (Anthropic docs: /en/api/messages). Streaming: `message_start`
 * (id, model, input tokens), `content_block_delta` with `text_delta`,
 * `message_delta` (stop_reason, cumulative output tokens), `message_stop`;
 * `ping` and `error` events may come at any time
 * (Anthropic docs: /en/docs/build-with-claude/streaming).
 */

const DEFAULT_MAX_TOKENS = 1024;

const FINISH: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

const finishReason = finishReasons(FINISH);

/** Overloaded (529) and api_error (500) mean the provider is struggling; the rest are answers. */
const unavailable = (type: string) => type === "overloaded_error" || type === "api_error";

const streamReader = streamReaderOf(finishReason, (event, so) => {
  const data = eventJson(event.data);
  const type = str(data.type) ?? event.event;
  switch (type) {
    case "message_start": {
      const message = asRecord(data.message);
      so.id = str(message.id);
      so.model = str(message.model);
      const reported = asRecord(message.usage);
      so.usage.inputTokens = Number(reported.input_tokens ?? 0) || 0;
      so.usage.outputTokens = Number(reported.output_tokens ?? 0) || 0;
      return "";
    }
    case "content_block_delta": {
      const delta = asRecord(data.delta);
      return delta.type === "text_delta" && typeof delta.text === "string" ? delta.text : "";
    }
    case "message_delta": {
      so.finish = str(asRecord(data.delta).stop_reason) ?? so.finish;
      const reported = asRecord(data.usage);
      if (reported.output_tokens !== undefined) so.usage.outputTokens = Number(reported.output_tokens) || 0;
      if (reported.input_tokens !== undefined) so.usage.inputTokens = Number(reported.input_tokens) || 0;
      return "";
    }
    case "message_stop":
      so.done = true;
      return "";
    case "error":
      throw streamError(data.error, unavailable);
    default:
      return "";
  }
});

export const anthropic: AiFormatEngine = {
  models: { request: { method: "GET", path: "/v1/models", query: { limit: "1000" } }, ids: "data[*].id", more: "has_more" },
  auth: { method: "header_key", header: "x-api-key" },
  chat: {
    method: "POST",
    path: "/v1/messages",
    body: { model: "{{ai.model}}", max_tokens: "{{ai.maxTokens}}", system: "{{ai.system}}", messages: "{{ai.messages}}" },
  },
  stream: {},
  requiredHeaders: { "anthropic-version": "2023-06-01" },
  vars: (input: ChatInput) => {
    const system = input.messages.filter((message) => message.role === "system").map((message) => message.content);
    return {
      system: system.length > 0 ? system.join("\n\n") : undefined,
      messages: input.messages.filter((message) => message.role !== "system").map(({ role, content }) => ({ role, content })),
    };
  },
  complete(body, input, stream) {
    // Anthropic refuses a request without max_tokens.
    if (body.max_tokens === undefined) body.max_tokens = input.maxTokens ?? DEFAULT_MAX_TOKENS;
    if (input.temperature !== undefined) body.temperature = input.temperature;
    if (stream) body.stream = true;
    else delete body.stream;
  },
  response: {
    id: "id",
    model: "model",
    text: "content[*].text",
    finishReason: "stop_reason",
    inputTokens: "usage.input_tokens",
    outputTokens: "usage.output_tokens",
  },
  finishReason,
  streamReader,
};
