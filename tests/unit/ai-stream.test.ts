import { aiEngines, readEvents, type SseEvent } from "@sambung/core/format/ai/index";
import { ProviderError } from "@sambung/core/resilience/errors";
import { describe, expect, it } from "vitest";

/** Server-sent events as the HTML standard parses them, and the vendors' stream readers. */

async function* chunks(text: string, sizes: number[]): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  for (const size of sizes) {
    yield bytes.subarray(at, at + size);
    at += size;
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function all(body: AsyncIterable<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of readEvents(body)) out.push(event);
  return out;
}

describe("readEvents", () => {
  it("splits on LF, CRLF and CR, joins data lines, skips comments, names events", async () => {
    const text = ': keep-alive\n\nevent: ping\ndata: {"a":1}\n\ndata: one\r\ndata: two\r\n\r\ndata:no-space\r\rid: 7\nretry: 10\n\n';
    // Cut everywhere, including between the CR and LF of a CRLF and inside a multi-byte character.
    for (const size of [1, 2, 3, 7, 1000]) {
      const events = await all(chunks(text, Array.from({ length: 200 }, () => size)));
      expect(events).toEqual([
        { event: "ping", data: '{"a":1}' },
        { event: "message", data: "one\ntwo" },
        { event: "message", data: "no-space" },
      ]);
    }
  });

  it("keeps multi-byte characters whole across chunk boundaries", async () => {
    const events = await all(chunks('data: {"delta":"Selamat datang di Bali 🌴"}\n\n', [30, 1, 1, 1, 1]));
    expect(JSON.parse(events[0]?.data ?? "{}")).toEqual({ delta: "Selamat datang di Bali 🌴" });
  });
});

describe("stream readers", () => {
  it("Anthropic: an overloaded error mid-stream counts against the provider; an invalid request does not", () => {
    const overloaded = () => aiEngines.anthropic.streamReader().read({ event: "error", data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' });
    expect(overloaded).toThrow(ProviderError);
    expect(() => overloaded()).toThrow(expect.objectContaining({ code: "unavailable", retryable: true, message: "Overloaded (overloaded_error)" }));
    const invalid = () => aiEngines.anthropic.streamReader().read({ event: "error", data: '{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}' });
    expect(invalid).toThrow(expect.objectContaining({ code: "rejected", retryable: false }));
  });

  it("OpenAI: text, finish reason and the usage chunk; [DONE] ends the stream", () => {
    const reader = aiEngines.openai_compatible.streamReader();
    expect(reader.read({ event: "message", data: '{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}' })).toBe("");
    expect(reader.read({ event: "message", data: '{"id":"c1","choices":[{"index":0,"delta":{"content":"Halo"}}]}' })).toBe("Halo");
    reader.read({ event: "message", data: '{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}' });
    reader.read({ event: "message", data: '{"id":"c1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}' });
    expect(reader.done).toBe(false);
    reader.read({ event: "message", data: "[DONE]" });
    expect(reader.done).toBe(true);
    expect(reader.result()).toEqual({ id: "c1", model: "m", content: "Halo", usage: { inputTokens: 3, outputTokens: 1 }, finishReason: "length" });
  });

  it("Gemini: text across parts (thoughts left out), finish reason and usage from the last event", () => {
    const reader = aiEngines.gemini.streamReader();
    reader.read({ event: "message", data: '{"candidates":[{"content":{"parts":[{"text":"thinking","thought":true},{"text":"Ha"}]}}],"responseId":"r1","modelVersion":"g"}' });
    reader.read({ event: "message", data: '{"candidates":[{"content":{"parts":[{"text":"lo"}]},"finishReason":"SAFETY"}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1}}' });
    expect(reader.result()).toEqual({ id: "r1", model: "g", content: "Halo", usage: { inputTokens: 2, outputTokens: 1 }, finishReason: "content_filter" });
  });
});
