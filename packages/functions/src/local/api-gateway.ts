import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** API Gateway's own payload limit; larger bodies are refused before a handler sees them. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`the request body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB`);
    this.name = "BodyTooLargeError";
  }
}

export function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  // Most API calls are GETs without a body: skip the stream machinery for them.
  if (request.headers["content-length"] === "0" || (!request.headers["content-length"] && !request.headers["transfer-encoding"])) {
    request.resume();
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

const EMPTY = Buffer.alloc(0);

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml)))/i;

/** The API Gateway HTTP API (payload v2) event a Lambda would receive for this request. */
export function toApiGatewayEvent(input: {
  request: IncomingMessage;
  body: Buffer;
  routeKey: string;
  pathParameters: Record<string, string>;
  url: URL;
}): APIGatewayProxyEventV2 {
  const { request, body, url } = input;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === "cookie") cookies.push(...String(value).split(/;\s*/));
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const text = body.length === 0 || TEXT_TYPES.test(headers["content-type"] ?? "text/plain");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: input.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    cookies: cookies.length > 0 ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : undefined,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: input.routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : text ? body.toString("utf8") : body.toString("base64"),
    isBase64Encoded: !text,
  };
}

export function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies && result.cookies.length > 0) headers["set-cookie"] = result.cookies;
  // A text body goes out as a string: node:http then sends headers and body in one
  // write, where a Buffer body costs a separate writev of both for every response.
  const body = result.body ? (result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body) : "";
  headers["content-length"] = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

export function writeJson(response: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  writeResult(response, {
    statusCode: status,
    headers: { "content-type": "application/json; charset=utf-8", ...extra },
    body: JSON.stringify(body),
  });
}
