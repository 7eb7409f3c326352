import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * Plumbing for the simulated providers: each fake is a small HTTP server on
 * 127.0.0.1 and a random port that answers the way the vendor's docs say.
 */

export interface Fake {
  url: string;
  close(): Promise<void>;
}

export interface FakeRequest {
  method: string;
  /** The request target exactly as sent (path and query, still encoded). */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: string;
  /** The body as JSON, or as form fields when form-encoded; undefined otherwise. */
  fields: Record<string, unknown> | undefined;
}

export interface FakeResponse {
  status?: number;
  json?: unknown;
  text?: string;
  /** Written piece by piece as it is produced (server-sent events), after the headers. */
  stream?: AsyncIterable<string>;
  headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface HttpFake extends Fake {
  /** Every request the fake received, oldest first. */
  requests: FakeRequest[];
}

function fieldsOf(headers: IncomingHttpHeaders, body: string): Record<string, unknown> | undefined {
  const type = headers["content-type"] ?? "";
  if (type.includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(body);
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(body));
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server | ReturnType<typeof createTcpServer>, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

export async function startHttpFake(handler: FakeHandler): Promise<HttpFake> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (incoming, outgoing) => {
    const raw = await readBody(incoming);
    const url = new URL(incoming.url ?? "/", "http://fake");
    const body = raw.toString("utf8");
    const request: FakeRequest = {
      method: incoming.method ?? "GET",
      url: incoming.url ?? "/",
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      raw,
      body,
      fields: fieldsOf(incoming.headers, body),
    };
    requests.push(request);
    let answer: FakeResponse;
    try {
      answer = await handler(request);
    } catch (error) {
      answer = { status: 500, text: `fake failed: ${(error as Error).message}` };
    }
    const headers: Record<string, string> = { ...answer.headers };
    let payload = answer.text ?? "";
    if (answer.json !== undefined) {
      payload = JSON.stringify(answer.json);
      headers["content-type"] ??= "application/json";
    }
    outgoing.writeHead(answer.status ?? 200, headers);
    if (answer.stream) {
      outgoing.flushHeaders();
      try {
        for await (const piece of answer.stream) {
          if (outgoing.destroyed) break;
          outgoing.write(piece);
        }
      } finally {
        outgoing.end();
      }
      return;
    }
    outgoing.end(payload);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const url = await listen(server);
  return { url, requests, close: closer(server, sockets) };
}

/** A host that accepts connections and never answers: for timeouts. */
export async function startSilentFake(): Promise<Fake> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: closer(server, sockets) };
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function closedPortUrl(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function basicAuth(request: FakeRequest): { user: string; password: string } | undefined {
  const header = request.headers.authorization ?? "";
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? { user: decoded, password: "" } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function bearer(request: FakeRequest): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1];
}

export function header(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** A route table: "GET /v1/models" → handler; unknown paths answer the vendor's 404. */
export function routes(
  table: Record<string, (request: FakeRequest, params: string[]) => FakeResponse | Promise<FakeResponse>>,
  notFound: FakeResponse = { status: 404, json: { error: "not found" } },
): FakeHandler {
  const compiled = Object.entries(table).map(([key, handler]) => {
    const [method, pattern] = key.split(" ") as [string, string];
    const regex = new RegExp(`^${pattern.replace(/:[a-zA-Z]+/g, "([^/]+)")}$`);
    return { method, regex, handler };
  });
  return (request) => {
    for (const route of compiled) {
      const match = route.regex.exec(request.path);
      if (match && route.method === request.method) return route.handler(request, match.slice(1).map(decodeURIComponent));
    }
    return notFound;
  };
}
