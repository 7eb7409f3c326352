import { connect, type Socket } from "node:net";
import { percentile } from "./report.ts";

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

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  body?: string;
  headers?: Record<string, string>;
  seconds: number;
  connections: number;
  /** Requests per second in total (latency under a fixed load); without it, as fast as the server answers. */
  rate?: number;
  /**
   * A fresh body (and headers) for every request, where each must differ (distinct ids, own
   * signatures). Made before the clock starts, for as many requests as the run can send: signing
   * a webhook is the gateway's work, and on two cores it would be taken from the hub's.
   */
  next?: () => { body: string; headers?: Record<string, string> };
}

/** More requests per second than any run here reaches: how many `next` requests a run without `rate` gets ready. */
const MAX_RATE = 8_000;

/** A request without a complete answer within this long counts as an error (autocannon's default). */
const TIMEOUT_MS = 10_000;

function serialize(url: URL, method: string, headers: Record<string, string>, body: string): Buffer {
  const payload = Buffer.from(body, "utf8");
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: ${payload.length}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), payload]);
}

/** Frames HTTP/1.1 responses on one keep-alive connection (content-length or chunked) and yields their statuses. */
export class ResponseFramer {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): number[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const statuses: number[] = [];
    for (;;) {
      const headEnd = this.buffer.indexOf("\r\n\r\n");
      if (headEnd < 0) return statuses;
      const head = this.buffer.subarray(0, headEnd).toString("latin1");
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      const end =
        length !== undefined ? headEnd + 4 + Number(length) : /\r\ntransfer-encoding:\s*chunked/i.test(head) ? this.chunkedEnd(headEnd + 4) : headEnd + 4;
      if (end === undefined || this.buffer.length < end) return statuses;
      statuses.push(Number(head.slice(9, 12)));
      this.buffer = this.buffer.subarray(end);
    }
  }

  /** Where a chunked body starting at `from` ends; undefined while it is incomplete. */
  private chunkedEnd(from: number): number | undefined {
    let at = from;
    for (;;) {
      const lineEnd = this.buffer.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(this.buffer.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) {
        const trailerEnd = this.buffer.indexOf("\r\n\r\n", lineEnd);
        return trailerEnd < 0 ? undefined : trailerEnd + 4;
      }
      at = lineEnd + 2 + size + 2;
      if (at > this.buffer.length) return undefined;
    }
  }
}

/**
 * Drives `url` over raw keep-alive HTTP/1.1 connections, one request in flight on each, for
 * `seconds`; with `rate`, requests start on a fixed schedule shared by all connections. Requests
 * are serialized before the clock starts and responses are only framed, not parsed: on a 2-core
 * machine whatever the generator spends is taken from the server under test. autocannon, used
 * before, parses every response in JavaScript and rebuilds every request that has its own body:
 * 90–120 µs of CPU per signed webhook (made ahead) against 38–57 here, and 40–60 against 25–35
 * per fixed request.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const method = options.method ?? "POST";
  const headers = { "content-type": "application/json", ...options.headers };
  const fixed = serialize(url, method, headers, options.body ?? "");
  const make = () => {
    const made = options.next?.();
    return made ? serialize(url, method, { ...headers, ...made.headers }, made.body) : fixed;
  };
  const ready = options.next ? Array.from({ length: Math.ceil(options.seconds * (options.rate ?? MAX_RATE) * 1.1) }, make) : [];
  let taken = 0;
  const nextRequest = (): Buffer => {
    if (!options.next) return fixed;
    // Past what was made ahead (a faster server than expected): made on the spot.
    const request = taken < ready.length ? ready[taken] : undefined;
    taken += 1;
    return request ?? make();
  };

  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let issued = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const stopAt = started + options.seconds * 1000;
  const interval = options.rate ? 1000 / options.rate : 0;
  /** Connections waiting for the schedule's next slot, and the timer that wakes the first of them. */
  const waiting: (() => void)[] = [];
  let wake: NodeJS.Timeout | undefined;
  /** How many requests the schedule allows by now. */
  const due = () => Math.floor((performance.now() - started) / interval) + 1;
  const release = () => {
    wake = undefined;
    for (let slots = due() - issued; slots > 0 && waiting.length > 0; slots -= 1) waiting.shift()?.();
    if (waiting.length > 0) wake = setTimeout(release, Math.max(0, started + issued * interval - performance.now()));
  };

  const drive = () =>
    new Promise<void>((resolve) => {
      let socket: Socket | undefined;
      let sentAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const retire = () => {
        const closing = socket;
        socket = undefined;
        clearTimeout(timer);
        closing?.destroy();
      };
      const send = () => {
        if (!socket) return;
        if (performance.now() >= stopAt) {
          retire();
          resolve();
          return;
        }
        if (options.rate && issued >= due()) {
          waiting.push(send);
          wake ??= setTimeout(release, Math.max(0, started + issued * interval - performance.now()));
          return;
        }
        issued += 1;
        sentAt = performance.now();
        timer = setTimeout(lost, TIMEOUT_MS);
        socket.write(nextRequest());
      };
      // A dropped connection or a request without an answer: counted, and the connection opened again.
      function lost() {
        errors += 1;
        retire();
        const queued = waiting.indexOf(send);
        if (queued >= 0) waiting.splice(queued, 1);
        if (performance.now() < stopAt) open();
        else resolve();
      }
      function open() {
        const framer = new ResponseFramer();
        const own = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
        socket = own;
        own.on("connect", send);
        own.on("data", (chunk: Buffer) => {
          for (const status of framer.push(chunk)) {
            clearTimeout(timer);
            latencies.push(performance.now() - sentAt);
            if (status < 200 || status >= 300) non2xx += 1;
            send();
          }
        });
        own.on("error", () => {});
        own.on("close", () => {
          if (socket === own) lost();
        });
      }
      open();
    });

  await Promise.all(Array.from({ length: options.connections }, drive));
  clearTimeout(wake);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    non2xx,
    generatorCpuUs: latencies.length === 0 ? 0 : (cpu.user + cpu.system) / latencies.length,
  };
}

export function describeLoad(label: string, result: LoadResult): string {
  return `${label.padEnd(34)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99
    .toFixed(1)
    .padStart(6)} ms  (${result.requests} requests, ${result.errors} errors, ${result.non2xx} non-2xx; load generator ${result.generatorCpuUs.toFixed(0)} µs CPU/request)`;
}
