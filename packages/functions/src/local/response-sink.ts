import type { ServerResponse } from "node:http";
import type { ResponseSink } from "../middleware/http-stream.ts";
import { streamSink } from "../middleware/stream-sink.ts";

/** A streaming handler's sink over a node:http response: headers flushed on `start`, each write sent as it comes. */
export function responseSink(response: ServerResponse): ResponseSink {
  return streamSink(response, (status, headers) => {
    response.writeHead(status, headers);
    response.flushHeaders();
    return response;
  });
}
