import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { prepare, requestIds, toProblem, toResult, type Reply, type Request, type Schemas } from "./http.ts";

/**
 * Handlers that answer as they go (server-sent events), named by `stream` in the
 * route table. API Gateway HTTP APIs buffer every answer, so such a handler is
 * served by the local runtime's streaming path and, on AWS, by a Lambda Function
 * URL in RESPONSE_STREAM mode (middleware/function-url.ts); both write through
 * middleware/stream-sink.ts.
 */

/** Where a streaming handler writes. Nothing is sent before `start`. */
export interface ResponseSink {
  readonly started: boolean;
  start(status: number, headers: Record<string, string>): void;
  write(text: string): void;
  end(text?: string): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

export type StreamingHttpHandler = (event: APIGatewayProxyEventV2, sink: ResponseSink) => Promise<void>;

/** Sends a whole (non-streamed) answer through a sink. */
export function writeWhole(sink: ResponseSink, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  sink.start(result.statusCode ?? 200, headers);
  sink.end(result.body ?? "");
}

/**
 * Like http(): authorization, validation and problems are the same. The handler
 * either writes to the sink itself (and returns nothing) or returns a Reply that
 * is sent whole. An error before anything was sent becomes the usual problem
 * answer; after, an `event: error` with the same body ends the stream.
 */
export function httpStream<S extends Schemas>(schemas: S, fn: (request: Request<S>, sink: ResponseSink) => Promise<Reply | undefined>): StreamingHttpHandler {
  return async (event, sink) => {
    const { headers, correlationId } = requestIds(event);
    try {
      const prepared = await prepare(schemas, event, headers, correlationId);
      if ("problem" in prepared) return writeWhole(sink, prepared.problem);
      const reply = await fn(prepared.request, sink);
      if (reply) writeWhole(sink, toResult(reply, correlationId));
    } catch (error) {
      const problem = toProblem(error, correlationId);
      if (!sink.started) writeWhole(sink, problem);
      else sink.end(`event: error\ndata: ${problem.body ?? "{}"}\n\n`);
    }
  };
}
