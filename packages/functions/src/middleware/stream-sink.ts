import type { ResponseSink } from "./http-stream.ts";

/**
 * What a sink writes to: a node:http ServerResponse (the local runtime) or the
 * response stream Lambda hands a streamified handler (middleware/function-url.ts).
 */
export interface BodyStream {
  write(chunk: string): unknown;
  end(): unknown;
  on(event: "close", listener: () => void): unknown;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
}

/**
 * A streaming handler's sink over a body stream: `open` sends the status and
 * headers and returns the stream the body goes to; each write goes out as it comes.
 * The connection closing before the body ended aborts the sink's signal.
 */
export function streamSink(stream: BodyStream, open: (status: number, headers: Record<string, string>) => BodyStream): ResponseSink {
  const controller = new AbortController();
  stream.on("close", () => {
    if (!stream.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  let body: BodyStream | undefined;
  return {
    get started() {
      return body !== undefined;
    },
    start(status, headers) {
      body = open(status, headers);
    },
    write(text) {
      if (body && !body.destroyed) body.write(text);
    },
    end(text) {
      body ??= open(200, {});
      if (body.destroyed) return;
      // write() then end(), never end(text): Lambda's response stream sends its
      // prelude (status and headers) from write() only.
      if (text) body.write(text);
      body.end();
    },
    signal: controller.signal,
  };
}
