import { NodeHttp } from "@sambung/core/adapters/http";
import { HttpTimeoutError } from "@sambung/core/port";
import { classify } from "@sambung/core/resilience/errors";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  socket: number;
}

const servers: Server[] = [];

async function serve(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new WeakMap<object, number>();
  let nextSocket = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (!sockets.has(request.socket)) sockets.set(request.socket, (nextSocket += 1));
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), socket: sockets.get(request.socket) ?? 0 });
      answer(request, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe("NodeHttp (the Http port both runtimes use)", () => {
  const http = new NodeHttp(2_000);

  it("sends method, headers and body, and answers status, lower-cased headers and the text body", async () => {
    const { url, seen } = await serve((_, response) => {
      response.writeHead(201, { "Content-Type": "application/json", "X-Request-Id": "abc" });
      response.end('{"ok":"ü"}');
    });
    const answer = await http.fetch({ url: `${url}/hooks?x=1`, method: "POST", headers: { "content-type": "application/json", "x-signature": "s1" }, body: '{"amount":1000,"name":"Dewi ü"}' });
    expect(answer).toMatchObject({ status: 201, body: '{"ok":"ü"}', headers: { "content-type": "application/json", "x-request-id": "abc" } });
    expect(answer.latencyMs).toBeGreaterThan(0);
    expect(seen).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/hooks?x=1",
        body: '{"amount":1000,"name":"Dewi ü"}',
        headers: expect.objectContaining({ "x-signature": "s1", "content-length": String(Buffer.byteLength('{"amount":1000,"name":"Dewi ü"}')) }),
      }),
    ]);
  });

  it("reuses one kept-alive connection for calls in turn to the same host", async () => {
    const { url, seen } = await serve((_, response) => response.end("ok"));
    for (let call = 0; call < 3; call += 1) expect((await http.fetch({ url, method: "POST", body: `call ${call}` })).body).toBe("ok");
    expect(new Set(seen.map((request) => request.socket)).size).toBe(1);
  });

  it("decodes a gzip body and drops a byte-order mark, as fetch's text() does", async () => {
    const { url } = await serve((request, response) => {
      if (request.url === "/gzip") {
        response.writeHead(200, { "content-encoding": "gzip" });
        response.end(gzipSync("squeezed"));
        return;
      }
      response.end("\uFEFF<xml/>");
    });
    expect((await http.fetch({ url: `${url}/gzip` })).body).toBe("squeezed");
    expect((await http.fetch({ url: `${url}/bom` })).body).toBe("<xml/>");
  });

  it("does not follow redirects: the caller sees the 302 and its location", async () => {
    const { url, seen } = await serve((_, response) => {
      response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      response.end();
    });
    expect(await http.fetch({ url })).toMatchObject({ status: 302, headers: { location: "http://169.254.169.254/latest/meta-data/" } });
    expect(seen).toHaveLength(1);
  });

  it("gives up after the call's timeout with HttpTimeoutError, also while the body is still coming", async () => {
    const { url } = await serve((request, response) => {
      if (request.url === "/slow-body") {
        response.writeHead(200);
        response.write("partial");
        return;
      }
    });
    await expect(http.fetch({ url: `${url}/silent`, timeoutMs: 150 })).rejects.toBeInstanceOf(HttpTimeoutError);
    await expect(http.fetch({ url: `${url}/slow-body`, timeoutMs: 150 })).rejects.toThrow(/no answer from 127\.0\.0\.1:\d+ within 150 ms/);
  });

  it("fails as fetch does, so the error classifiers tell a call that never left from one that may have", async () => {
    const closed = await serve(() => undefined);
    const port = new URL(closed.url).port;
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const refused = await http.fetch({ url: `http://127.0.0.1:${port}/` }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused).toMatchObject({ message: "fetch failed", cause: { code: "ECONNREFUSED" } });
    expect(classify(refused)).toMatchObject({ code: "unreachable", delivery: "no" });

    const { url } = await serve((request) => request.socket.destroy());
    const reset = await http.fetch({ url, method: "POST", body: "x" }).catch((error: unknown) => error);
    expect(reset).toMatchObject({ message: "fetch failed", cause: { code: "ECONNRESET" } });
    expect(classify(reset)).toMatchObject({ code: "connection_reset", delivery: "maybe" });

    await expect(http.fetch({ url: "not a url" })).rejects.toBeInstanceOf(TypeError);
    await expect(http.fetch({ url: "ftp://127.0.0.1/file" })).rejects.toThrow("fetch failed");
  });
});
