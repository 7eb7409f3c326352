import autocannon from "autocannon";

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * Drives `url` with keep-alive connections for `seconds`; with `rate`, at that
 * many requests per second in total (latency under a fixed load), otherwise as
 * fast as the server answers (throughput).
 */
export async function load(options: {
  url: string;
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
  seconds: number;
  connections: number;
  rate?: number;
  /** A fresh body (and headers) for every request, where each must differ (distinct ids, own signatures). */
  next?: () => { body: string; headers?: Record<string, string> };
}): Promise<LoadResult> {
  const next = options.next;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "POST",
    body: options.body,
    headers: { "content-type": "application/json", ...options.headers },
    ...(next
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const made = next();
                return { ...request, body: made.body, headers: { ...request.headers, ...made.headers } };
              },
            },
          ],
        }
      : {}),
    duration: options.seconds,
    connections: options.connections,
    overallRate: options.rate,
    pipelining: 1,
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function describeLoad(label: string, result: LoadResult): string {
  return `${label.padEnd(34)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99
    .toFixed(1)
    .padStart(6)} ms  (${result.requests} requests, ${result.errors} errors, ${result.non2xx} non-2xx)`;
}
