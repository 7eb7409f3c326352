import type { HttpResponse } from "../../port.ts";
import { finishReasons, streamReaderOf, type AiFormatEngine, type ChatInput, type FinishReason } from "./engine.ts";
import { eventJson, streamError } from "./stream-error.ts";
import { asRecord, str } from "../http-auth.ts";

/**
 * gemini: the Gemini API (AI Studio keys), POST models/{model}:generateContent
 * with x-goog-api-key; messages are `contents` with roles user / model and
 * `parts`, the system prompt is `systemInstruction` (ai.google.dev/api/generate-content).
 * Streaming: models/{model}:streamGenerateContent?alt=sse sends server-sent
 * events whose data is each a GenerateContentResponse; the last carries
 * finishReason and usageMetadata; there is no end marker
 * (ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
 */

const FINISH: Record<string, FinishReason> = {
  STOP: "stop",
  MAX_TOKENS: "length",
  SAFETY: "content_filter",
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  MALFORMED_FUNCTION_CALL: "tool_calls",
};

const finishReason = finishReasons(FINISH);

/** A bad key is a 400 with reason API_KEY_INVALID (ai.google.dev/gemini-api/docs/troubleshooting). */
const isAuthFailure = (response: HttpResponse) => response.status === 400 && response.body.includes("API_KEY_INVALID");

function textOf(candidate: Record<string, unknown>): string {
  const parts = asRecord(candidate.content).parts;
  return (Array.isArray(parts) ? parts : [])
    .map((part) => asRecord(part))
    .filter((part) => part.thought !== true && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("");
}

/** No end marker: the stream ends with the body, so `so.done` stays false. */
const streamReader = streamReaderOf(finishReason, (event, so) => {
  const chunk = eventJson(event.data);
  if (chunk.error) throw streamError(chunk.error, (status) => status === "UNAVAILABLE" || status === "INTERNAL" || status === "RESOURCE_EXHAUSTED");
  so.id ??= str(chunk.responseId);
  so.model ??= str(chunk.modelVersion);
  const metadata = asRecord(chunk.usageMetadata);
  if (chunk.usageMetadata) {
    so.usage.inputTokens = Number(metadata.promptTokenCount ?? 0) || 0;
    so.usage.outputTokens = Number(metadata.candidatesTokenCount ?? 0) || 0;
  }
  const candidate = asRecord(Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined);
  so.finish = str(candidate.finishReason) ?? so.finish;
  return textOf(candidate);
});

export const gemini: AiFormatEngine = {
  models: { request: { method: "GET", path: "/models", query: { pageSize: "1000" } }, ids: "models[*].name", more: "nextPageToken", isAuthFailure },
  auth: { method: "header_key", header: "x-goog-api-key" },
  chat: {
    method: "POST",
    path: "/models/{{ai.model}}:generateContent",
    body: { contents: "{{ai.geminiContents}}", systemInstruction: "{{ai.geminiSystem}}", generationConfig: { maxOutputTokens: "{{ai.maxTokens}}" } },
  },
  stream: { path: "/models/{{ai.model}}:streamGenerateContent", query: { alt: "sse" } },
  modelId: (model) => model.replace(/^models\//, ""),
  vars: (input: ChatInput) => {
    const system = input.messages.filter((message) => message.role === "system").map((message) => ({ text: message.content }));
    return {
      geminiSystem: system.length > 0 ? { parts: system } : undefined,
      geminiContents: input.messages
        .filter((message) => message.role !== "system")
        .map((message) => ({ role: message.role === "assistant" ? "model" : "user", parts: [{ text: message.content }] })),
    };
  },
  complete(body, input) {
    if (input.temperature !== undefined) body.generationConfig = { ...asRecord(body.generationConfig), temperature: input.temperature };
  },
  response: {
    id: "responseId",
    model: "modelVersion",
    text: "candidates[0].content.parts[*].text",
    finishReason: "candidates[0].finishReason",
    inputTokens: "usageMetadata.promptTokenCount",
    outputTokens: "usageMetadata.candidatesTokenCount",
  },
  finishReason,
  streamReader,
};
