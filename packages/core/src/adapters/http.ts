import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { HttpTimeoutError, type Http, type HttpRequest, type HttpResponse, type HttpStream } from "../port.ts";

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Keep-alive pools shared by every call: a webhook receiver or gateway is reached over
 * connections already open. A connection idle for 30 s is closed (sooner if the server
 * says so in Keep-Alive), so a hub that once called thousands of hosts does not keep them all.
 */
const IDLE_SOCKET_MS = 30_000;
const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

function decoded(response: IncomingMessage): NodeJS.ReadableStream {
  switch (response.headers["content-encoding"]?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return response.pipe(createGunzip());
    case "deflate":
      return response.pipe(createInflate());
    case "br":
      return response.pipe(createBrotliDecompress());
    default:
      return response;
  }
}

function headersOf(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/**
 * The Http port, with a timeout on every call; both runtimes use it. `fetch` goes
 * over node:http with keep-alive pools: the outgoing-webhook worker makes one call
 * per delivery, and the platform fetch spent several times the CPU of the call
 * itself on streams and request cloning. Failures keep fetch's shape (a TypeError
 * "fetch failed" whose `cause` carries the socket error's code), which is what the
 * error classifiers read. `stream` stays on fetch, for its web stream body.
 */
export class NodeHttp implements Http {
  private readonly defaultTimeoutMs;

  constructor(defaultTimeoutMs = DEFAULT_TIMEOUT_MS) {
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  fetch(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.defaultTimeoutMs;
    const started = performance.now();
    return new Promise<HttpResponse>((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch (error) {
        reject(new TypeError(`Failed to parse URL from ${request.url}`, { cause: error }));
        return;
      }
      const secure = url.protocol === "https:";
      if (!secure && url.protocol !== "http:") {
        reject(new TypeError("fetch failed", { cause: new Error(`unsupported protocol ${url.protocol}`) }));
        return;
      }
      const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body, "utf8") : request.body;
      const headers: Record<string, string | number> = { accept: "*/*", ...request.headers };
      if (body) headers["content-length"] = body.byteLength;
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const send = secure ? httpsRequest : httpRequest;
      const outgoing = send(url, { method: request.method ?? "GET", headers, agent: secure ? agents.https : agents.http }, (response) => {
        const chunks: Buffer[] = [];
        const stream = decoded(response);
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", (error) => fail(new TypeError("fetch failed", { cause: error })));
        stream.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            headers: headersOf(response),
            // As fetch's text(): UTF-8, without a byte-order mark.
            body: Buffer.concat(chunks).toString("utf8").replace(/^\uFEFF/, ""),
            latencyMs: performance.now() - started,
          });
        });
      });
      const timer = setTimeout(() => {
        fail(new HttpTimeoutError(request.url, timeoutMs));
        outgoing.destroy();
      }, timeoutMs);
      outgoing.on("error", (error) => fail(new TypeError("fetch failed", { cause: error })));
      outgoing.end(body);
    });
  }

  async stream(request: HttpRequest & { signal?: AbortSignal }): Promise<HttpStream> {
    const timeoutMs = request.timeoutMs ?? this.defaultTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const started = performance.now();
    const timedOut = (error: unknown) => error instanceof DOMException && error.name === "TimeoutError" && timeout.aborted;
    let response: Response;
    try {
      response = await fetch(request.url, { method: request.method ?? "GET", headers: request.headers, body: request.body, redirect: "manual", signal });
    } catch (error) {
      if (timedOut(error)) throw new HttpTimeoutError(request.url, timeoutMs);
      throw error;
    }
    const latencyMs = performance.now() - started;
    const source = response.body;
    async function* chunks(): AsyncIterable<Uint8Array> {
      if (!source) return;
      const reader = source.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } catch (error) {
        if (timedOut(error)) throw new HttpTimeoutError(request.url, timeoutMs);
        throw error;
      } finally {
        // A reader that stops early (the caller went away) must not leave the connection open.
        await reader.cancel().catch(() => undefined);
      }
    }
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: chunks(),
      text: async () => {
        try {
          return await response.text();
        } catch (error) {
          if (timedOut(error)) throw new HttpTimeoutError(request.url, timeoutMs);
          throw error;
        }
      },
      latencyMs,
    };
  }
}
