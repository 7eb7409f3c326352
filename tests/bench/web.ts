import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import type { Bench } from "./report.ts";

const root = resolve(import.meta.dirname, "../..");
const webDir = join(root, "packages/web");
const dist = join(webDir, "dist");
const LIMIT_KB = 250;

/** Static `import … from "./x.js"` (and `export … from`) in a built chunk; `import("./x.js")` is lazy and left out. */
const STATIC_IMPORT = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]+from\s*)?["']\.\/([^"']+\.js)["']/g;

function gzipKb(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length / 1024;
}

/** The entry chunk and everything it imports statically: what a first visit downloads before the app runs. */
export function initialChunks(): { entry: string; chunks: string[]; css: string[] } {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const entry = /<script type="module"[^>]*src="\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!entry) throw new Error("dist/index.html has no module script");
  const seen = new Set<string>();
  const queue = [entry, ...[...html.matchAll(/rel="modulepreload"[^>]*href="\/(assets\/[^"]+\.js)"/g)].map((match) => match[1] as string)];
  while (queue.length > 0) {
    const chunk = queue.shift() as string;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    const code = readFileSync(join(dist, chunk), "utf8");
    for (const match of code.matchAll(STATIC_IMPORT)) queue.push(`assets/${match[1]}`);
  }
  const css = [...html.matchAll(/rel="stylesheet"[^>]*href="\/(assets\/[^"]+\.css)"/g)].map((match) => match[1] as string);
  return { entry, chunks: [...seen], css };
}

/**
 * Issue #7: the admin app's initial JavaScript, gzipped (pages and charts load
 * lazily). Builds packages/web first unless BENCH_WEB_BUILD=0 and a dist exists.
 */
export const web: Bench = async () => {
  if (process.env.BENCH_WEB_BUILD !== "0" || !existsSync(join(dist, "index.html"))) {
    const built = spawnSync(process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], {
      cwd: webDir,
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production" },
    });
    if (built.status !== 0) throw new Error(`vite build failed:\n${built.stdout}\n${built.stderr}`);
  }
  const { entry, chunks, css } = initialChunks();
  const sizes = chunks.map((chunk) => ({ chunk, kb: gzipKb(join(dist, chunk)) })).sort((a, b) => b.kb - a.kb);
  const totalJs = sizes.reduce((sum, size) => sum + size.kb, 0);
  const totalCss = css.reduce((sum, file) => sum + gzipKb(join(dist, file)), 0);
  return {
    title: "Admin app: initial JS, gzipped (issue #7)",
    lines: [
      `entry ${entry}; ${chunks.length} chunks load before the first page (pages and charts are lazy)`,
      ...sizes.map((size) => `${size.chunk}: ${size.kb.toFixed(1)} KB gzipped`),
      `initial CSS: ${totalCss.toFixed(1)} KB gzipped`,
      `initial JS total: ${totalJs.toFixed(1)} KB gzipped`,
    ],
    checks: [{ name: "admin app initial JS (gzipped)", value: totalJs, unit: "KB", target: `≤ ${LIMIT_KB} KB`, pass: totalJs <= LIMIT_KB }],
  };
};
