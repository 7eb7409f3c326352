import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  /** Lower-cased header names, single values. */
  headers: Record<string, string>;
  body: string;
  path: string;
  /** Arrival, real time (ms since the epoch, fractional). */
  at: number;
  /** What the receiver answered. */
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides the status of each request (1-based count of requests so far); 200 by default. */
  respond: (request: Received, count: number) => number;
  close(): Promise<void>;
}

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers as `respond` says. */
export async function startReceiver(respond: Receiver["respond"] = () => 200): Promise<Receiver> {
  const receiver: Receiver = { url: "", received: [], respond, close: async () => {} };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const received: Received = {
        headers: flat(request.headers),
        body: Buffer.concat(chunks).toString("utf8"),
        path: request.url ?? "/",
        at: performance.timeOrigin + performance.now(),
        status: 0,
      };
      received.status = receiver.respond(received, receiver.received.length + 1);
      receiver.received.push(received);
      response.writeHead(received.status, { "content-type": "application/json" });
      response.end(JSON.stringify({ ok: received.status < 300 }));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
