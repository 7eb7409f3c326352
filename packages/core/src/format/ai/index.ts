import { anthropic } from "./anthropic.ts";
import type { AiFormatEngine } from "./engine.ts";
import { gemini } from "./gemini.ts";
import { openaiCompatible } from "./openai.ts";

export { chatRequest, readChat, type AiFormatEngine, type ChatInput, type ChatMessage, type ChatOutput, type ChatRole, type FinishReason } from "./engine.ts";
export { readEvents, type SseEvent } from "./sse.ts";

/** The AI chat formats, by format id. */
export const aiEngines = {
  openai_compatible: openaiCompatible,
  anthropic,
  gemini,
} as const satisfies Record<string, AiFormatEngine>;

export type AiFormat = keyof typeof aiEngines;

export function isAiFormat(format: string): format is AiFormat {
  return format in aiEngines;
}
