import type { ServerResponse } from "node:http";
import type { ResponseSink } from "../middleware/http-stream.ts";

/** A streaming handler's sink over a node:http response: headers on `start`, each write flushed as it comes. */
export function responseSink(response: ServerResponse): ResponseSink {
  const controller = new AbortController();
  response.on("close", () => {
    if (!response.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  let started = false;
  return {
    get started() {
      return started;
    },
    start(status, headers) {
      started = true;
      response.writeHead(status, headers);
      response.flushHeaders();
    },
    write(text) {
      if (!response.destroyed) response.write(text);
    },
    end(text) {
      if (response.destroyed) return;
      if (text) response.end(text);
      else response.end();
    },
    signal: controller.signal,
  };
}
