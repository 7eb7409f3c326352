import type { HttpResponse } from "../../port.ts";
import type { AiFormatEngine, ChatInput, FinishReason, StreamReader } from "./engine.ts";
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

const finishReason = (raw: string | undefined): FinishReason => (raw ? (FINISH[raw] ?? "other") : "other");

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

function streamReader(): StreamReader {
  let id: string | undefined;
  let model: string | undefined;
  let content = "";
  let finish: string | undefined;
  const usage = { inputTokens: 0, outputTokens: 0 };
  return {
    read(event) {
      const chunk = eventJson(event.data);
      if (chunk.error) throw streamError(chunk.error, (status) => status === "UNAVAILABLE" || status === "INTERNAL" || status === "RESOURCE_EXHAUSTED");
      id ??= str(chunk.responseId);
      model ??= str(chunk.modelVersion);
      const metadata = asRecord(chunk.usageMetadata);
      if (chunk.usageMetadata) {
        usage.inputTokens = Number(metadata.promptTokenCount ?? 0) || 0;
        usage.outputTokens = Number(metadata.candidatesTokenCount ?? 0) || 0;
      }
      const candidate = asRecord(Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined);
      finish = str(candidate.finishReason) ?? finish;
      const text = textOf(candidate);
      content += text;
      return text;
    },
    done: false,
    result: () => ({ id, model, content, usage: { ...usage }, finishReason: finishReason(finish) }),
  };
}

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
