import autocannon from "autocannon";

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU the load generator used per request, in µs: on this machine it is taken from the server under test. */
  generatorCpuUs: number;
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
  /**
   * A fresh body (and headers) for every request, where each must differ (distinct ids, own
   * signatures). Made before the clock starts, for as many requests as the run can send: signing
   * a webhook is the gateway's work, and on two cores it would be taken from the hub's.
   */
  next?: () => { body: string; headers?: Record<string, string> };
}): Promise<LoadResult> {
  const next = options.next ? prepared(options.next, Math.ceil(options.seconds * (options.rate ?? MAX_RATE) * 1.1)) : undefined;
  const cpuBefore = process.cpuUsage();
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
    generatorCpuUs: result.requests.total === 0 ? 0 : cpuMicros(process.cpuUsage(cpuBefore)) / result.requests.total,
  };
}

/** More requests per second than any run here reaches: how many `next` bodies a run without `rate` gets ready. */
const MAX_RATE = 8_000;

const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/** `next` made `count` times ahead, handed out in order; past them (a faster server than expected), made on the spot. */
function prepared(next: () => { body: string; headers?: Record<string, string> }, count: number): typeof next {
  const ready = Array.from({ length: count }, next);
  let taken = 0;
  return () => {
    const made = taken < ready.length ? ready[taken] : undefined;
    taken += 1;
    return made ?? next();
  };
}

export function describeLoad(label: string, result: LoadResult): string {
  return `${label.padEnd(34)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99
    .toFixed(1)
    .padStart(6)} ms  (${result.requests} requests, ${result.errors} errors, ${result.non2xx} non-2xx; load generator ${result.generatorCpuUs.toFixed(0)} µs CPU/request)`;
}
