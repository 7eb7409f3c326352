import { z } from "zod";
import { InvalidInputError } from "../error.ts";
import { aiEngines, chatRequest, isAiFormat, readChat, readEvents, type AiFormatEngine, type ChatInput, type ChatOutput, type FinishReason } from "../format/ai/index.ts";
import { blockedHost } from "../format/checks/address-guard.ts";
import { jsonOf, str } from "../format/http-auth.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { FeatureKey, resolve } from "../provider/features.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import type { TokenUsage } from "../telemetry/call-log.ts";
import type { Principal } from "../tenant/model.ts";

/**
 * AI chat: one request and one answer shape whatever the mapped provider speaks
 * (openai_compatible, anthropic, gemini), streamed as it is generated when asked.
 * Every call goes through the resilience pipeline: 120 s per attempt (the AI
 * policy, unless the record sets `config.timeoutMs`), never retried (a
 * completion is not idempotent: it costs tokens), and it falls back only when
 * the primary was never reached (breaker open, our rate limit, connection
 * refused). Token usage goes into the call log of the provider that answered.
 *
 * `model` is the caller's choice for the primary provider; a fallback answers
 * with its own `config.defaultModel`, since model ids differ between vendors.
 */

export const ChatRequest = z
  .object({
    featureKey: FeatureKey,
    messages: z
      .array(
        z.object({
          role: z.enum(["system", "user", "assistant"], { error: "role: use system, user or assistant" }),
          content: z.string().min(1, "content: send the message text").max(400_000),
        }),
      )
      .min(1, "messages: send at least one message")
      .max(1000),
    model: z.string().trim().min(1).max(200).optional(),
    maxTokens: z.number().int().min(1).max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    stream: z.boolean().optional(),
  })
  .refine((body) => body.messages.some((message) => message.role !== "system"), {
    path: ["messages"],
    message: "messages: add at least one user message; system messages alone ask nothing",
  });
export type ChatRequest = z.infer<typeof ChatRequest>;

export interface ChatResult {
  id: string;
  /** The slug of the provider that answered. */
  provider: string;
  usedFallback: boolean;
  model: string;
  message: { role: "assistant"; content: string };
  usage: TokenUsage;
  finishReason: FinishReason;
}

export interface ChatOptions {
  /** Streaming: called with each piece of text as the provider sends it. */
  onDelta?: (text: string) => void;
  /** The caller went away: stop reading (and paying for) the answer. */
  signal?: AbortSignal;
}

function modelFor(provider: ProviderRecord, requested: string | undefined, role: string): string {
  const model = (role === "primary" || role === "direct" ? requested : undefined) ?? str(provider.config.defaultModel);
  if (!model) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name} has no default model: send "model" or set config.defaultModel` });
  return model;
}

/** The messages are the guest's words: the call log keeps their count and size, not their text. */
function summary(body: ChatRequest) {
  return { messages: body.messages.length, characters: body.messages.reduce((sum, message) => sum + message.content.length, 0), stream: body.stream === true };
}

async function complete(
  ports: Ports,
  provider: ProviderRecord,
  attempt: Resilience.Attempt,
  engine: AiFormatEngine,
  input: ChatInput,
  options: ChatOptions & { stream: boolean; logged: Record<string, unknown> },
): Promise<ChatOutput> {
  const context = { ports, provider, secrets: await Provider.secretsOf(ports, provider), baseUrl: Provider.baseUrlOf(provider) };
  const blocked = await blockedHost(ports, provider, context.baseUrl);
  if (blocked) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "no", message: blocked });
  const request = chatRequest(context, engine, input, options.stream);
  const message = (status: number) => `${provider.name} answered HTTP ${status}`;
  // The call log keeps the model and sizes instead of the conversation.
  const logged = { method: request.method, url: new URL(request.url).pathname, model: input.model, ...options.logged };
  if (!options.stream) {
    const response = await attempt.fetch(request, { throwOnError: false, logged });
    if (response.status >= 400) throw Resilience.ProviderError.fromResponse(response, withReason(message(response.status), response.body), ports.clock.now());
    const json = jsonOf(response);
    if (json === undefined) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "yes", status: response.status, message: `${provider.name} answered something other than JSON` });
    const output = readChat(provider, engine, json);
    attempt.note({ usage: output.usage, response: { model: output.model, finishReason: output.finishReason, characters: output.content.length } });
    return output;
  }
  const response = await attempt.stream(request, { throwOnError: false, signal: options.signal, logged });
  if (response.status >= 400) {
    const body = await response.text().catch(() => "");
    attempt.note({ response: body });
    throw Resilience.ProviderError.fromResponse(response, withReason(message(response.status), body), ports.clock.now());
  }
  const reader = engine.streamReader();
  try {
    for await (const event of readEvents(response.body)) {
      const text = reader.read(event);
      if (text) options.onDelta?.(text);
      if (reader.done) break;
    }
  } catch (error) {
    // The caller hanging up is not the provider failing: logged, but not held against its breaker.
    if (options.signal?.aborted) throw new Resilience.ProviderError({ code: "error", retryable: false, delivery: "yes", message: "the caller went away before the answer was complete", cause: error });
    throw error;
  } finally {
    // Whatever was generated was paid for, even when the stream broke off.
    const partial = reader.result();
    attempt.note({ usage: partial.usage, response: { model: partial.model, finishReason: partial.finishReason, characters: partial.content.length } });
  }
  return reader.result();
}

/** The provider's own words for a refusal (an unknown model, a bad parameter), kept short and secret-free by the pipeline's log. */
function withReason(base: string, body: string): string {
  const json = jsonOf({ body });
  const error = json && typeof json === "object" ? (json as { error?: unknown }).error : undefined;
  const said = error && typeof error === "object" ? str((error as { message?: unknown }).message) : str(error);
  return said ? `${base}: ${said.slice(0, 300)}` : base;
}

export async function chat(ports: Ports, principal: Principal, input: ChatRequest, options: ChatOptions = {}): Promise<ChatResult> {
  const body = ChatRequest.parse(input);
  const locationId = principal.kind === "apiKey" ? principal.locationId : undefined;
  const { primary, fallback } = await resolve(ports, principal.tenantId, body.featureKey, locationId);
  if (!isAiFormat(primary.apiFormat)) throw new InvalidInputError(`feature ${body.featureKey} is mapped to ${primary.name}, which is not an AI provider`);
  const stream = body.stream === true;
  const result = await Resilience.callProviders(
    ports,
    { primary, fallback: fallback && isAiFormat(fallback.apiFormat) ? fallback : undefined },
    {
      featureKey: body.featureKey,
      action: stream ? "ai.chat_stream" : "ai.chat",
      idempotent: false,
      run: async (provider, attempt) => {
        const engine = aiEngines[provider.apiFormat as keyof typeof aiEngines];
        const model = modelFor(provider, body.model, attempt.role);
        const input = { messages: body.messages, model, maxTokens: body.maxTokens, temperature: body.temperature };
        const output = await complete(ports, provider, attempt, engine, input, { ...options, stream, logged: summary(body) });
        return { ...output, model: output.model ?? model };
      },
    },
  );
  const output = result.value;
  return {
    id: output.id ?? `chat_${result.providerId}_${ports.clock.now()}`,
    provider: result.providerSlug,
    usedFallback: result.usedFallback,
    model: output.model,
    message: { role: "assistant", content: output.content },
    usage: output.usage,
    finishReason: output.finishReason,
  };
}
