import { finishReasons, streamReaderOf, type AiFormatEngine, type ChatInput, type FinishReason } from "./engine.ts";
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

const finishReason = finishReasons(FINISH);

const streamReader = streamReaderOf(finishReason, (event, so) => {
  if (event.data.trim() === "[DONE]") {
    so.done = true;
    return "";
  }
  const chunk = eventJson(event.data);
  if (chunk.error) throw streamError(chunk.error, (type) => type === "server_error" || type === "overloaded_error");
  so.id ??= str(chunk.id);
  so.model ??= str(chunk.model);
  const reported = asRecord(chunk.usage);
  if (chunk.usage) {
    so.usage.inputTokens = Number(reported.prompt_tokens ?? 0) || 0;
    so.usage.outputTokens = Number(reported.completion_tokens ?? 0) || 0;
  }
  const choice = asRecord(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
  so.finish = str(choice.finish_reason) ?? so.finish;
  const text = asRecord(choice.delta).content;
  return typeof text === "string" ? text : "";
});

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
