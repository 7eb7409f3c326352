import middy from "@middy/core";
import { answerChallenge } from "@sambung/core/inbound/challenge";
import * as Inbound from "@sambung/core/inbound/index";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { z } from "zod";
import { logContext } from "../middleware/log-context.ts";
import { http, prepare, requestIds, toProblem } from "../middleware/http.ts";

const Path = z.object({ type: z.string().min(1), slug: z.string().min(1) });

/** Providers call this without our credentials: the provider's own signature is the authentication. */
export const receive = http({ auth: { public: true }, params: Path }, async ({ ports, params, rawBody, headers, event, sourceIp }) => {
  const query = event.queryStringParameters ?? {};
  const host = headers["x-forwarded-host"] ?? headers.host ?? event.requestContext.domainName;
  const proto = headers["x-forwarded-proto"] ?? (event.requestContext.domainName === "localhost" || host?.startsWith("127.") ? "http" : "https");
  const url = `${proto}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`;
  const result = await Inbound.receive(ports, {
    type: params.type,
    slug: params.slug,
    method: event.requestContext.http.method,
    url,
    rawBody,
    headers,
    query: Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    sourceIp,
  });
  return { status: result.status, body: result.body };
});

/** The vendor's subscription handshake (Meta's hub.challenge): the answer is the challenge as plain text, not JSON. */
export const verify = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
  .use(logContext())
  .handler(async (event) => {
    const { headers, correlationId } = requestIds(event);
    try {
      const prepared = await prepare({ auth: { public: true }, params: Path }, event, headers, correlationId);
      if ("problem" in prepared) return prepared.problem;
      const { ports, params } = prepared.request;
      const query = Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const result = await answerChallenge(ports, { type: params.type, slug: params.slug, query });
      return { statusCode: result.status, headers: { "content-type": "text/plain; charset=utf-8", "x-correlation-id": correlationId }, body: result.text };
    } catch (error) {
      return toProblem(error, correlationId);
    }
  });
