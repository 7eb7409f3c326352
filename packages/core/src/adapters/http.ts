import { HttpTimeoutError, type Http, type HttpRequest, type HttpResponse } from "../port.ts";

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
}
