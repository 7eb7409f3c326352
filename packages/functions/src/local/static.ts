import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** The admin SPA's build output (`npm run build:web`). */
export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;

/** Vite names built assets `name-<hash>.ext` under assets/: they never change, so browsers may keep them. */
const IMMUTABLE = "public, max-age=31536000, immutable";

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sambung — admin app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The admin app is not built yet</h1>
<p>The API is running. To get the admin app, run <code>npm run build:web</code> (or <code>npm ci</code>, which builds it) and reload this page.</p>
</body></html>
`;

/** GETs the API does not own: everything but /api/*, /webhook/* and /health is the SPA's. */
export function isWebRequest(method: string | undefined, pathname: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  if (pathname === "/health" || pathname === "/api" || pathname === "/webhook") return false;
  return !pathname.startsWith("/api/") && !pathname.startsWith("/webhook/");
}

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
}

/**
 * Serves the built SPA: files from `root` with their content types, a year's cache
 * for hashed assets, and index.html for any other path (client-side routes).
 */
export function createStaticServer(root: string = WEB_DIST) {
  const base = path.resolve(root);
  const cache = new Map<string, Cached>();

  async function load(file: string): Promise<Cached | undefined> {
    let info;
    try {
      info = await stat(file);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const known = cache.get(file);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    const body = await readFile(file);
    const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    const entry: Cached = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      gzipped: COMPRESSIBLE.test(type) && body.length > 1024 ? gzipSync(body) : undefined,
      etag: `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    };
    cache.set(file, entry);
    return entry;
  }

  function send(request: IncomingMessage, response: ServerResponse, file: string, entry: Cached, cacheControl: string): void {
    const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    const headers: Record<string, string> = {
      "content-type": type,
      "cache-control": cacheControl,
      etag: entry.etag,
      vary: "accept-encoding",
      ...(type.startsWith("text/html") ? SECURITY_HEADERS : { "x-content-type-options": "nosniff" }),
    };
    if (request.headers["if-none-match"] === entry.etag) {
      response.writeHead(304, headers).end();
      return;
    }
    const gzip = entry.gzipped && /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    const body = gzip && entry.gzipped ? entry.gzipped : entry.body;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = String(body.length);
    response.writeHead(200, headers);
    response.end(request.method === "HEAD" ? undefined : body);
  }

  function plain(response: ServerResponse, status: number, type: string, text: string): void {
    response.writeHead(status, { "content-type": type, "cache-control": "no-store", ...SECURITY_HEADERS }).end(text);
  }

  return async function serveStatic(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      plain(response, 400, "text/plain; charset=utf-8", "bad path");
      return;
    }
    const file = path.resolve(base, `.${path.posix.normalize(decoded)}`);
    if (decoded.includes("\0") || (file !== base && !file.startsWith(base + path.sep))) {
      plain(response, 404, "text/plain; charset=utf-8", "not found");
      return;
    }
    const found = file === base ? undefined : await load(file);
    if (found) {
      const hashed = path.relative(base, file).startsWith(`assets${path.sep}`);
      send(request, response, file, found, hashed ? IMMUTABLE : file.endsWith(".html") ? "no-cache" : "public, max-age=3600");
      return;
    }
    // A missing file (it has an extension) is a 404, so a stale chunk never gets HTML back.
    if (path.extname(decoded) !== "") {
      plain(response, 404, "text/plain; charset=utf-8", "not found");
      return;
    }
    const indexFile = path.join(base, "index.html");
    const index = await load(indexFile);
    if (!index) {
      plain(response, 503, "text/html; charset=utf-8", NOT_BUILT);
      return;
    }
    send(request, response, indexFile, index, "no-cache");
  };
}
