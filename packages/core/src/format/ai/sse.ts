/**
 * Server-sent events as the HTML standard parses them
 * (html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end with CRLF, LF or CR; `data:` lines of one event are joined with "\n";
 * a blank line dispatches; lines starting with ":" are comments. OpenAI, Anthropic
 * and Gemini (`alt=sse`) all stream this way.
 */

export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  data: string;
}

/** The events of a byte stream, as they complete. */
export async function* readEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let sawField = false;
  const dispatch = (): SseEvent | undefined => {
    const ready = sawField && data.length > 0 ? { event: event || "message", data: data.join("\n") } : undefined;
    event = "";
    data = [];
    sawField = false;
    return ready;
  };
  const line = (text: string): SseEvent | undefined => {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return undefined;
    const colon = text.indexOf(":");
    const name = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
    else return undefined;
    sawField = true;
    return undefined;
  };
  const drain = function* (final: boolean): Generator<SseEvent> {
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A lone CR at the end may be the first half of a CRLF still on its way.
      if (!match || (match[0] === "\r" && match.index === buffer.length - 1 && !final)) break;
      const text = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const ready = line(text);
      if (ready) yield ready;
    }
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* drain(false);
  }
  buffer += decoder.decode();
  yield* drain(true);
  if (buffer !== "") {
    const ready = line(buffer);
    if (ready) yield ready;
  }
  // The standard drops an event not followed by a blank line; vendors end cleanly, so nothing is lost.
}
