import { HttpTimeoutError, type Http, type HttpRequest, type HttpResponse, type HttpStream } from "../port.ts";

const DEFAULT_TIMEOUT_MS = 30_000;

/** The Http port over the platform's fetch, with a timeout on every call. Both runtimes use it. */
export class FetchHttp implements Http {
  private readonly defaultTimeoutMs;

  constructor(defaultTimeoutMs = DEFAULT_TIMEOUT_MS) {
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  async fetch(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.defaultTimeoutMs;
    const started = performance.now();
    try {
      const response = await fetch(request.url, {
        method: request.method ?? "GET",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await response.text();
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      if (error instanceof DOMException && error.name === "TimeoutError") {
        throw new HttpTimeoutError(request.url, timeoutMs);
      }
      throw error;
    }
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
