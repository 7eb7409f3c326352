import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A provider that fails on demand, over a real node:http server: answers, slow
 * answers, error statuses (with Retry-After), requests it never answers (the
 * client times out) and connections it resets mid-request. Every request is
 * counted, so a test can prove what reached the provider and how often.
 */
export type Behaviour =
  | { kind: "ok"; status?: number; body?: unknown; delayMs?: number }
  | { kind: "status"; status: number; body?: unknown; retryAfter?: string | number; delayMs?: number }
  /** Read the request, never answer (until the fake closes). */
  | { kind: "hang" }
  /** Read the request, then destroy the socket: the client sees ECONNRESET / "other side closed". */
  | { kind: "reset" };

export interface Received {
  method: string;
  path: string;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface FlakyProvider {
  url: string;
  requests: Received[];
  /** Requests seen, optionally only those whose path starts with `prefix`. */
  count(prefix?: string): number;
  /** Behaviours for the next requests, in order; after them, the standing behaviour. */
  next(...behaviours: Behaviour[]): void;
  /** The standing behaviour (default: 200 {"ok":true}). Clears queued ones. */
  always(behaviour: Behaviour): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFlakyProvider(initial: Behaviour = { kind: "ok" }): Promise<FlakyProvider> {
  let standing: Behaviour = initial;
  let queued: Behaviour[] = [];
  const requests: Received[] = [];
  const sockets = new Set<Socket>();

  const respond = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === "string" ? body : JSON.stringify(body ?? { ok: status < 400 });
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(text);
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: string) => {
    requests.push({ method: request.method ?? "GET", path: request.url ?? "/", body, headers: request.headers });
    const behaviour = queued.shift() ?? standing;
    switch (behaviour.kind) {
      case "ok": {
        const answer = () => respond(response, behaviour.status ?? 200, behaviour.body ?? { ok: true, n: requests.length });
        if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
        else answer();
        return;
      }
      case "status": {
        const headers: Record<string, string> = behaviour.retryAfter !== undefined ? { "retry-after": String(behaviour.retryAfter) } : {};
        const answer = () => respond(response, behaviour.status, behaviour.body ?? { error: `injected ${behaviour.status}` }, headers);
        if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
        else answer();
        return;
      }
      case "hang":
        return;
      case "reset":
        request.socket.destroy();
        return;
    }
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  server.keepAliveTimeout = 65_000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (prefix) => (prefix ? requests.filter((request) => request.path.startsWith(prefix)).length : requests.length),
    next: (...behaviours) => {
      queued.push(...behaviours);
    },
    always: (behaviour) => {
      standing = behaviour;
      queued = [];
    },
    reset: () => {
      requests.length = 0;
      queued = [];
      standing = initial;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A URL nothing listens on: connections are refused (the request never leaves). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
