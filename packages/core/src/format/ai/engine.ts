import type { Provider } from "../../provider/record.ts";
import type { TokenUsage } from "../../telemetry/call-log.ts";
import type { HttpResponse } from "../../port.ts";
import type { TestSpec } from "../checks/http.ts";
import { asRecord, buildRequest, str, valueAt, type AuthSpec, type CallContext, type Endpoint, type Vars } from "../http-auth.ts";
import type { SseEvent } from "./sse.ts";

/**
 * An AI chat format: how one vendor family's API is asked for a completion,
 * streamed or not, and how its answer reads. The request and the answer paths
 * are defaults a record may override (`config.endpoints.chat` / `.stream`,
 * `config.response.chat`); the per-call fields (model, stream flags,
 * temperature) and the stream's event shapes are the format's own.
 */

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatInput {
  messages: ChatMessage[];
  model: string;
  maxTokens?: number;
  temperature?: number;
}

/** One vocabulary for why generation stopped, whatever the vendor said. */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "other";

export interface ChatOutput {
  id?: string;
  model?: string;
  content: string;
  usage: TokenUsage;
  finishReason: FinishReason;
}

/** Reads a vendor's event stream: each event may add text; the vendor's error events throw. */
export interface StreamReader {
  /** The text this event adds ("" for none). */
  read(event: SseEvent): string;
  /** The vendor's end-of-stream marker arrived ([DONE], message_stop); a format without one ends with the body. */
  readonly done: boolean;
  result(): ChatOutput;
}

/** Our finish reason for a vendor's, by the format's table; one the table lacks (or none) is "other". */
export function finishReasons(table: Record<string, FinishReason>): (raw: string | undefined) => FinishReason {
  return (raw) => (raw ? (table[raw] ?? "other") : "other");
}

/** What a stream has said so far, which a format's `read` fills in event by event. */
export interface StreamSoFar {
  id?: string;
  model?: string;
  /** The vendor's own finish reason. */
  finish?: string;
  usage: TokenUsage;
  done: boolean;
}

/** A StreamReader whose `read` notes each event in `so` and returns the text the event adds (the reader keeps the text). */
export function streamReaderOf(finishReason: (raw: string | undefined) => FinishReason, read: (event: SseEvent, so: StreamSoFar) => string): () => StreamReader {
  return () => {
    const so: StreamSoFar = { usage: { inputTokens: 0, outputTokens: 0 }, done: false };
    let content = "";
    return {
      read(event) {
        const text = read(event, so);
        content += text;
        return text;
      },
      get done() {
        return so.done;
      },
      result: () => ({ id: so.id, model: so.model, content, usage: { ...so.usage }, finishReason: finishReason(so.finish) }),
    };
  };
}

/** Where an answer's fields are, as `valueAt` paths. */
export interface ResponsePaths {
  id: string;
  model: string;
  text: string;
  finishReason: string;
  inputTokens: string;
  outputTokens: string;
}

export interface AiFormatEngine {
  /** The documented model list: the connection check's request. */
  models: {
    request: TestSpec;
    /** Where the model ids are in the answer. */
    ids: string;
    /** A field that says more pages follow. */
    more?: string;
    isAuthFailure?: (response: HttpResponse, json: unknown) => boolean;
  };
  /** Used when the record has no `config.auth`. */
  auth: AuthSpec;
  chat: Endpoint;
  /** What streaming changes in the request (Gemini: another method and `alt=sse`). */
  stream: Partial<Endpoint>;
  /** Headers the format needs that a record made without a preset may lack (lower-case names). */
  requiredHeaders?: Record<string, string>;
  /** The vendor's id of a model ("models/gemini-2.5-flash" → "gemini-2.5-flash"). */
  modelId?: (model: string) => string;
  /** The messages etc. as template variables in the vendor's shape (`{{ai.messages}}`, `{{ai.system}}`, ...). */
  vars(input: ChatInput): Vars;
  /** Per-call fields set after the body template: stream flags, temperature. */
  complete(body: Record<string, unknown>, input: ChatInput, stream: boolean): void;
  response: ResponsePaths;
  finishReason(raw: string | undefined): FinishReason;
  streamReader(): StreamReader;
}

function configuredEndpoint(provider: Provider, name: string): Partial<Endpoint> {
  const found = asRecord(asRecord(provider.config.endpoints)[name]);
  return typeof found.path === "string" ? (found as unknown as Endpoint) : {};
}

/** The chat request for one provider, with its authentication, ready for the Http port. */
export function chatRequest(context: CallContext, engine: AiFormatEngine, input: ChatInput, stream: boolean) {
  const model = engine.modelId ? engine.modelId(input.model) : input.model;
  const call = { ...input, model };
  const chat = { ...engine.chat, ...configuredEndpoint(context.provider, "chat") };
  const endpoint: Endpoint = stream ? { ...chat, ...engine.stream, ...configuredEndpoint(context.provider, "stream") } : chat;
  endpoint.body ??= chat.body;
  const present = new Set(Object.keys(context.provider.headers).map((name) => name.toLowerCase()));
  const missing = Object.entries(engine.requiredHeaders ?? {}).filter(([name]) => !present.has(name));
  if (missing.length > 0) endpoint.headers = { ...Object.fromEntries(missing), ...endpoint.headers };
  // Record templates name the model as {{config.defaultModel}} (presets) or {{ai.model}}: both are this call's model.
  const vars: Vars = {
    config: { ...context.provider.config, defaultModel: model },
    ai: { ...engine.vars(call), model, maxTokens: call.maxTokens, temperature: call.temperature },
  };
  const request = buildRequest(context, { ...endpoint, contentType: "application/json" }, { vars });
  const body = request.body ? asRecord(JSON.parse(request.body)) : {};
  engine.complete(body, call, stream);
  return { ...request, headers: { ...request.headers, ...(stream ? { accept: "text/event-stream" } : {}) }, body: JSON.stringify(body) };
}

const asText = (value: unknown): string =>
  Array.isArray(value) ? value.filter((item) => typeof item === "string").join("") : typeof value === "string" ? value : "";

const count = (value: unknown): number => {
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? Math.round(number) : 0;
};

/** A non-streamed answer, read through the record's paths (`config.response.chat`) over the format's. */
export function readChat(provider: Provider, engine: AiFormatEngine, json: unknown): ChatOutput {
  const paths = asRecord(asRecord(provider.config.response).chat);
  const at = (name: keyof ResponsePaths, alias?: string) => valueAt(json, str(paths[name]) ?? (alias ? str(paths[alias]) : undefined) ?? engine.response[name]);
  const finish = at("finishReason", "stopReason");
  return {
    id: str(at("id")),
    model: str(at("model")),
    content: asText(at("text")),
    usage: { inputTokens: count(at("inputTokens")), outputTokens: count(at("outputTokens")) },
    finishReason: engine.finishReason(typeof finish === "string" ? finish : undefined),
  };
}
