import type { AiFormatEngine, ChatInput, FinishReason, StreamReader } from "./engine.ts";
import { eventJson, streamError } from "./stream-error.ts";
import { asRecord, str } from "../http-auth.ts";

/**
 * openai_compatible: OpenAI's Chat Completions API, which DeepSeek, Mistral,
 * Groq, OpenRouter and local servers also speak (platform.openai.com/docs/api-reference/chat).
 * Streaming: `data:` chunks of `chat.completion.chunk` with `choices[0].delta.content`,
 * then (with `stream_options.include_usage`) one chunk with empty `choices` and
 * `usage`, then `data: [DONE]` (platform.openai.com/docs/api-reference/chat-streaming).
 */

const FINISH: Record<string, FinishReason> = {
  stop: "stop",
  length: "length",
  content_filter: "content_filter",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
};

const finishReason = (raw: string | undefined): FinishReason => (raw ? (FINISH[raw] ?? "other") : "other");

function streamReader(): StreamReader {
  let id: string | undefined;
  let model: string | undefined;
  let content = "";
  let finish: string | undefined;
  const usage = { inputTokens: 0, outputTokens: 0 };
  let done = false;
  return {
    read(event) {
      if (event.data.trim() === "[DONE]") {
        done = true;
        return "";
      }
      const chunk = eventJson(event.data);
      if (chunk.error) throw streamError(chunk.error, (type) => type === "server_error" || type === "overloaded_error");
      id ??= str(chunk.id);
      model ??= str(chunk.model);
      const reported = asRecord(chunk.usage);
      if (chunk.usage) {
        usage.inputTokens = Number(reported.prompt_tokens ?? 0) || 0;
        usage.outputTokens = Number(reported.completion_tokens ?? 0) || 0;
      }
      const choice = asRecord(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
      finish = str(choice.finish_reason) ?? finish;
      const text = asRecord(choice.delta).content;
      if (typeof text !== "string") return "";
      content += text;
      return text;
    },
    get done() {
      return done;
    },
    result: () => ({ id, model, content, usage: { ...usage }, finishReason: finishReason(finish) }),
  };
}

export const openaiCompatible: AiFormatEngine = {
  models: { request: { method: "GET", path: "/models" }, ids: "data[*].id" },
  auth: { method: "bearer" },
  chat: {
    method: "POST",
    path: "/chat/completions",
    body: { model: "{{ai.model}}", messages: "{{ai.messages}}", max_tokens: "{{ai.maxTokens}}" },
  },
  stream: {},
  vars: (input: ChatInput) => ({ messages: input.messages.map(({ role, content }) => ({ role, content })) }),
  complete(body, input, stream) {
    if (input.temperature !== undefined) body.temperature = input.temperature;
    body.stream = stream;
    if (stream) body.stream_options = { ...asRecord(body.stream_options), include_usage: true };
    else delete body.stream_options;
  },
  response: {
    id: "id",
    model: "model",
    text: "choices[0].message.content",
    finishReason: "choices[0].finish_reason",
    inputTokens: "usage.prompt_tokens",
    outputTokens: "usage.completion_tokens",
  },
  finishReason,
  streamReader,
};
