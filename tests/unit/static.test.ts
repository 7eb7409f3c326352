import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaticServer, isWebRequest } from "../../packages/functions/src/local/static.ts";

/** The local runtime's server for the admin SPA's build output. */

let dir: string;
let servers: Server[] = [];

async function serve(root: string): Promise<string> {
  const handler = createStaticServer(root);
  const server = createServer((request, response) => void handler(request, response, new URL(request.url ?? "/", "http://x").pathname));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sambung-static-"));
  mkdirSync(join(dir, "dist/assets"), { recursive: true });
  writeFileSync(join(dir, "dist/index.html"), "<!doctype html><title>app</title>");
  writeFileSync(join(dir, "dist/assets/index-abc123.js"), `console.log(${JSON.stringify("x".repeat(4000))});`);
  writeFileSync(join(dir, "dist/favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(dir, "secret.txt"), "outside the root");
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

describe("static file server", () => {
  it("leaves the API's paths to the API", () => {
    expect(isWebRequest("GET", "/")).toBe(true);
    expect(isWebRequest("GET", "/integrations/new")).toBe(true);
    expect(isWebRequest("HEAD", "/assets/x.js")).toBe(true);
    expect(isWebRequest("GET", "/api/admin/providers")).toBe(false);
    expect(isWebRequest("GET", "/webhook/payment/midtrans")).toBe(false);
    expect(isWebRequest("GET", "/health")).toBe(false);
    expect(isWebRequest("POST", "/integrations")).toBe(false);
  });

  it("serves files with their types, caches hashed assets for a year, gzips text and answers 304 to a matching ETag", async () => {
    const base = await serve(join(dir, "dist"));
    const asset = await fetch(`${base}/assets/index-abc123.js`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-encoding")).toBe("gzip");
    expect(await asset.text()).toContain("console.log");
    const again = await fetch(`${base}/assets/index-abc123.js`, { headers: { "if-none-match": asset.headers.get("etag") ?? "" } });
    expect(again.status).toBe(304);
    const icon = await fetch(`${base}/favicon.svg`);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toBe("public, max-age=3600");
  });

  it("answers client-side routes with index.html, not cached, and a missing file with 404", async () => {
    const base = await serve(join(dir, "dist"));
    for (const path of ["/", "/integrations", "/webhooks?tab=deliveries", "/setup"]) {
      const page = await fetch(`${base}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain("<title>app</title>");
    }
    expect((await fetch(`${base}/assets/index-gone.js`)).status).toBe(404);
  });

  it("never serves a file outside its root", async () => {
    const base = await serve(join(dir, "dist"));
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/%00"]) {
      const answer = await fetch(`${base}${path}`);
      expect(await answer.text()).not.toContain("outside the root");
    }
  });

  it("says how to build the app when there is no build", async () => {
    const base = await serve(join(dir, "nowhere"));
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("npm run build:web");
  });
});
