import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny HTTP server for simulated gateways: each fake routes requests to its own
 * handler and records what it received, so tests can assert on the exact wire format
 * (auth header, content type, signature headers, body).
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Names lower-cased, as Node gives them. */
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface FakeResponse {
  status: number;
  /** Serialised as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request the fake has handled but not yet answered (a gateway slow to reply, or one we die waiting for). */
export interface Hold {
  /** Resolves once a matching request has been handled and its answer is being held back. */
  reached: Promise<FakeRequest>;
  /** Sends the held answer. */
  release(): void;
}

export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  /** Holds back the answer to the next request that matches (its side effects already happened). */
  hold(match: (request: FakeRequest) => boolean): Hold;
  close(): Promise<void>;
}

export async function startServer(handler: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const holds: { match: (request: FakeRequest) => boolean; reach: (request: FakeRequest) => void; released: Promise<void>; release: () => void }[] = [];
  const heldBack = async (request: FakeRequest) => {
    const index = holds.findIndex((hold) => hold.match(request));
    if (index < 0) return;
    const [hold] = holds.splice(index, 1);
    hold?.reach(request);
    await hold?.released;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake.local");
      const request: FakeRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") };
      requests.push(request);
      Promise.resolve()
        .then(() => handler(request))
        .then(async (response) => {
          await heldBack(request);
          return response;
        })
        .then(
          (response) => {
            const body = response.body === undefined ? "" : typeof response.body === "string" ? response.body : JSON.stringify(response.body);
            res.writeHead(response.status, { "content-type": typeof response.body === "string" ? "text/plain" : "application/json", ...response.headers });
            res.end(body);
          },
          (error: unknown) => {
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error) } }));
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hold(match) {
      let reach: (request: FakeRequest) => void = () => {};
      let release: () => void = () => {};
      const reached = new Promise<FakeRequest>((resolve) => (reach = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ match, reach, released, release });
      return { reached, release };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const hold of holds.splice(0)) hold.release();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function header(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The user name of a Basic Authorization header, or undefined. */
export function basicUser(request: FakeRequest): { user: string; password: string } | undefined {
  const value = header(request, "authorization");
  if (!value?.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(value.slice(6), "base64").toString("utf8");
  const at = decoded.indexOf(":");
  if (at < 0) return undefined;
  return { user: decoded.slice(0, at), password: decoded.slice(at + 1) };
}

export function jsonBody(request: FakeRequest): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(request.rawBody);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A form body as nested data: `metadata[order_id]=x` → `{ metadata: { order_id: "x" } }`,
 * `items[0][name]=a` → `{ items: { 0: { name: "a" } } }` (as Stripe and Omise read them).
 */
export function formBody(request: FakeRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(request.rawBody)) {
    const parts = key.split(/\[|\]\[|\]/).filter((part) => part !== "");
    let node = out;
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1) node[part] = value;
      else {
        const next = node[part];
        node = (typeof next === "object" && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
      }
    }
  }
  return out;
}

export function isForm(request: FakeRequest): boolean {
  return (header(request, "content-type") ?? "").includes("application/x-www-form-urlencoded");
}

/** The request body as data, whichever of JSON or form it is. */
export function anyBody(request: FakeRequest): Record<string, unknown> | undefined {
  return isForm(request) ? formBody(request) : jsonBody(request);
}

export interface Delivery {
  url: string;
  headers: Record<string, string>;
  rawBody: string;
  /** The receiver's answers, one per delivery (two when `duplicate`). */
  responses: { status: number; body: string }[];
}

/** Posts a webhook as a gateway would: raw body, its headers; `times` deliveries of the same bytes. */
export async function deliver(url: string, headers: Record<string, string>, rawBody: string, times = 1): Promise<Delivery> {
  const responses: { status: number; body: string }[] = [];
  for (let i = 0; i < times; i += 1) {
    const response = await fetch(url, { method: "POST", headers, body: rawBody, signal: AbortSignal.timeout(10_000) });
    responses.push({ status: response.status, body: await response.text() });
  }
  return { url, headers, rawBody, responses };
}

export interface WebhookOptions {
  /** Deliver the same notification twice (gateways retry; receivers must de-duplicate). */
  duplicate?: boolean;
  /** Change the body after signing it, so verification must fail. */
  tamper?: boolean;
  /** Deliver here instead of the URL the transaction named. */
  url?: string;
}

/** A built webhook: what would be posted. */
export interface BuiltWebhook {
  url?: string;
  headers: Record<string, string>;
  rawBody: string;
}

/** `2025-01-01 09:30:00` in UTC+7 (WIB), as Indonesian gateways print times. */
export function wib(ms: number): string {
  return new Date(ms + 7 * 3_600_000).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");
}

export async function postBuilt(built: BuiltWebhook, options: WebhookOptions): Promise<Delivery> {
  const url = options.url ?? built.url;
  if (!url) throw new Error("this transaction named no notification URL; pass { url }");
  return deliver(url, built.headers, built.rawBody, options.duplicate ? 2 : 1);
}

/** Flips one character of a signed body so its signature no longer matches. */
export function tamperWith(rawBody: string): string {
  const digit = /\d/.exec(rawBody);
  if (digit) {
    const at = digit.index;
    const replacement = rawBody[at] === "9" ? "8" : String(Number(rawBody[at]) + 1);
    return rawBody.slice(0, at) + replacement + rawBody.slice(at + 1);
  }
  return `${rawBody} `;
}
