import * as Ai from "@sambung/core/ai/index";
import { http } from "../middleware/http.ts";
import { httpStream } from "../middleware/http-stream.ts";

/**
 * POST /api/v1/ai/chat. `stream: true` answers with server-sent events:
 * `data: {"delta":"..."}` per piece of text, then `data: {"done":true, ...}` with
 * the provider, model, usage and finish reason (or `event: error` with the usual
 * problem body if the provider fails mid-answer). Served by `chatStream` where
 * the runtime can stream (the local runtime; on AWS the route's Function URL);
 * behind API Gateway (`chat`), the same events arrive together once the answer
 * is complete.
 */

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" };

const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

function doneEvent(result: Ai.ChatResult) {
  const { message: _message, ...rest } = result;
  return event({ done: true, ...rest });
}

export const chat = http({ auth: { scope: "ai" }, body: Ai.ChatRequest }, async ({ ports, principal, body }) => {
  if (!body.stream) return { body: await Ai.chat(ports, principal, body) };
  const events: string[] = [];
  const result = await Ai.chat(ports, principal, body, { onDelta: (delta) => events.push(event({ delta })) });
  events.push(doneEvent(result));
  return { headers: SSE_HEADERS, text: events.join("") };
});

export const chatStream = httpStream({ auth: { scope: "ai" }, body: Ai.ChatRequest }, async ({ ports, principal, body, correlationId }, sink) => {
  if (!body.stream) return { body: await Ai.chat(ports, principal, body, { signal: sink.signal }) };
  // Headers wait for the first piece of text, so a provider that fails before answering still gets a proper status.
  const open = () => {
    if (!sink.started) sink.start(200, { ...SSE_HEADERS, "x-correlation-id": correlationId });
  };
  const result = await Ai.chat(ports, principal, body, {
    signal: sink.signal,
    onDelta: (delta) => {
      open();
      sink.write(event({ delta }));
    },
  });
  open();
  sink.end(doneEvent(result));
  return undefined;
});
