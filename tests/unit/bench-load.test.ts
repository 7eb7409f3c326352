import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { load, ResponseFramer } from "../bench/load.ts";

/** The benchmarks' load generator is a measuring device: these check that it counts what the server saw. */
describe("the benchmarks' load generator", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function serve(handle: (body: string, count: number) => { status: number; chunked?: boolean; drop?: boolean }) {
    const seen = { requests: 0, bodies: new Set<string>() };
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        seen.requests += 1;
        seen.bodies.add(body);
        const answer = handle(body, seen.requests);
        if (answer.drop) {
          request.socket.destroy();
          return;
        }
        response.writeHead(answer.status, answer.chunked ? { "content-type": "text/plain" } : { "content-length": "11" });
        if (answer.chunked) {
          response.write("part one, ");
          response.end("part two");
        } else response.end('{"ok":true}');
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, seen };
  }

  it("counts every answered request once, with non-2xx and chunked answers framed", async () => {
    const { url, seen } = await serve((_, count) => ({ status: count % 10 === 0 ? 503 : 200, chunked: count % 3 === 0 }));
    const result = await load({ url, body: '{"a":1}', seconds: 0.5, connections: 8 });
    expect(result.requests).toBeGreaterThan(100);
    expect(result.requests).toBe(seen.requests);
    expect(result.non2xx).toBe(Math.floor(seen.requests / 10));
    expect(result.errors).toBe(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
  });

  it("sends each prepared body once, and keeps a fixed rate", async () => {
    const { url, seen } = await serve(() => ({ status: 200 }));
    let made = 0;
    const result = await load({ url, seconds: 1, connections: 4, rate: 200, next: () => ({ body: `{"n":${(made += 1)}}` }) });
    expect(result.requests).toBe(seen.requests);
    expect(seen.bodies.size).toBe(seen.requests);
    expect(result.rps).toBeGreaterThan(180);
    expect(result.rps).toBeLessThan(220);
  });

  it("counts a dropped connection as an error and goes on with a new one", async () => {
    const { url, seen } = await serve((_, count) => ({ status: 200, drop: count === 5 }));
    const result = await load({ url, body: "{}", seconds: 0.3, connections: 2 });
    expect(result.errors).toBe(1);
    expect(result.requests).toBe(seen.requests - 1);
  });

  it("frames responses split anywhere across reads", () => {
    const framer = new ResponseFramer();
    const wire = Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    const statuses = [...wire].flatMap((_, index) => framer.push(wire.subarray(index, index + 1)));
    expect(statuses).toEqual([200, 404]);
  });
});
