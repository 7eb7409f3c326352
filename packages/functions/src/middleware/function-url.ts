import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { Router } from "../local/router.ts";
import { logger } from "../log.ts";
import { routeKey, routes } from "../routes.ts";
import { writeWhole, type StreamingHttpHandler } from "./http-stream.ts";
import { streamSink, type BodyStream } from "./stream-sink.ts";

/**
 * A route's streaming handler (`stream` in the route table) behind a Lambda
 * Function URL in RESPONSE_STREAM mode, which API Gateway cannot be: Lambda's
 * Node runtime calls a handler wrapped by `awslambda.streamifyResponse` with a
 * writable response stream, and `awslambda.HttpResponseStream.from` puts the
 * status and headers in front of the body. The sink is the local runtime's
 * (middleware/stream-sink.ts), so both runtimes send the same bytes.
 *
 * A Function URL forwards every path to its function, so the request must name
 * the route's method and path, as on the API (`{name}` segments become path
 * parameters); anything else is answered 404 / 405 as the local runtime does.
 */

/** The prelude of an HTTP integration response: what HttpResponseStream.from takes. */
export interface ResponsePrelude {
  statusCode: number;
  headers: Record<string, string>;
}

/** What Lambda passes a streamified handler as its second argument. */
export type LambdaResponseStream = BodyStream;

export type StreamifiedHandler = (event: APIGatewayProxyEventV2, stream: LambdaResponseStream, context: Context) => Promise<void>;

/**
 * The `awslambda` global of Lambda's Node.js runtime, as far as it is used here.
 * @types/aws-lambda declares one too, but with `any` events and a response stream
 * typed as a node Writable, which the runtime's is not (an object with a
 * Writable's methods); and outside Lambda there is none at all.
 */
export interface AwsLambdaGlobal {
  streamifyResponse(handler: StreamifiedHandler): StreamifiedHandler;
  HttpResponseStream: { from(stream: LambdaResponseStream, prelude: ResponsePrelude): LambdaResponseStream };
}

function awslambda(): AwsLambdaGlobal {
  const global = (globalThis as unknown as { awslambda?: AwsLambdaGlobal }).awslambda;
  if (!global) throw new Error("the awslambda global is missing: a streaming handler runs only in Lambda's Node.js runtime, behind a Function URL in RESPONSE_STREAM mode");
  return global;
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/**
 * The Lambda handler for the route `key` ("POST /api/v1/ai/chat") of the route
 * table, served by its streaming handler. Checked at module load: a key not in
 * the table, or a missing export, fails the cold start rather than a request.
 */
export function functionUrl(key: string, handler: StreamingHttpHandler | undefined): StreamifiedHandler {
  const route = routes.find((candidate) => routeKey(candidate) === key);
  if (!route) throw new Error(`no route ${key} in the route table`);
  if (typeof handler !== "function") throw new Error(`no streaming handler export for ${key}; check its \`stream\` in the route table`);
  const router = new Router([route]);
  const lambda = awslambda();

  return lambda.streamifyResponse(async (event, stream, context) => {
    logger.addContext(context);
    const sink = streamSink(stream, (statusCode, headers) => {
      const body = lambda.HttpResponseStream.from(stream, { statusCode, headers });
      // The prelude goes out with the first write: send it now, as the local runtime
      // flushes its headers, so the client has the status before the first event.
      body.write("");
      return body;
    });
    const method = event.requestContext.http.method;
    const match = router.match(method, event.rawPath);
    if (match.kind === "not-found") {
      writeWhole(sink, { statusCode: 404, headers: JSON_TYPE, body: JSON.stringify({ error: { code: "no_route", message: `no route for ${method} ${event.rawPath}; this URL serves ${key}` } }) });
      return;
    }
    if (match.kind === "method-not-allowed") {
      const allowed = match.allowed.join(", ");
      writeWhole(sink, { statusCode: 405, headers: { ...JSON_TYPE, allow: allowed }, body: JSON.stringify({ error: { code: "method_not_allowed", message: `${method} is not allowed here; use ${allowed}` } }) });
      return;
    }
    // What API Gateway would have set for this route: the handlers read path parameters and the route key.
    await handler({ ...event, routeKey: key, pathParameters: Object.keys(match.params).length > 0 ? match.params : undefined }, sink);
  });
}
