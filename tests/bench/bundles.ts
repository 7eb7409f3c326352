import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { bundleOptions, HANDLER_ROOT } from "../../infra/bundling.ts";
import { ENTRY_ROOT, planStreamFunctions, writeRouteEntries, writeStreamEntries } from "../../infra/route-functions.ts";
import { cronJobs } from "../../packages/functions/src/cron/table.ts";
import { handlerFile, type HandlerRef } from "../../packages/functions/src/grants.ts";
import { routeKey, routes } from "../../packages/functions/src/routes.ts";
import { workers } from "../../packages/functions/src/workers/table.ts";
import type { Bench, Check } from "./report.ts";

const MAX_KB = 400;
const MAX_INIT_MS = 150;
/** Fresh processes per bundle; medians are reported. */
const RUNS = 3;
const NODE = resolve("node_modules/.bin/node");

/** The esbuild SST bundles with (its own dependency), so the bytes measured are the bytes deployed. */
const esbuild = createRequire(import.meta.resolve("sst/package.json"))("esbuild") as typeof Esbuild;

/**
 * Runs in the child: times the dynamic import of the entry (module init: what Lambda
 * does at cold start), then imports every lazy chunk too (the most a first request
 * can add), and reports the handler module's exports.
 */
const CHILD = `
// Lambda's Node runtime provides this global; a streaming route's entry wraps its handler with it at load.
globalThis.awslambda ??= { streamifyResponse: (handler) => handler, HttpResponseStream: { from: (stream) => stream } };
const [entry, ...chunks] = process.argv.slice(1);
const started = performance.now();
const mod = await import(entry);
const init = performance.now() - started;
for (const chunk of chunks) await import(chunk);
const all = performance.now() - started;
process.stdout.write(JSON.stringify({ init, all, exports: Object.keys(mod) }));
`;

interface ChildResult {
  init: number;
  all: number;
  exports: string[];
}

interface Measured {
  file: string;
  functions: string[];
  exportsWanted: string[];
  /** The entry and the chunks it imports statically: parsed at cold start. */
  eagerKb: number;
  /** Everything deployed: eager plus the lazy chunks of dynamic imports. */
  totalKb: number;
  initMs: number;
  allMs: number;
  /** Parent-side wall time from spawn to the child's exit. */
  processMs: number;
  exports: string[];
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

interface Bundle {
  /** The entry esbuild starts from, relative to the project root. */
  entry: string;
  /** What runs from it: route keys, "worker <queue>", "cron <job>". */
  functions: string[];
  exportNames: Set<string>;
}

/**
 * Every bundle the stacks deploy, by entry file: a route module's generated entry
 * (infra/route-functions.ts: its routes dispatched by route key, whatever the
 * number of functions sharing it), a streaming route's Function URL entry, and
 * each worker and cron handler module.
 */
function bundlesToBuild(): Map<string, Bundle> {
  writeRouteEntries(routes);
  writeStreamEntries(routes);
  const all: { name: string; entry: string; exportName: string }[] = [
    ...routes.map((route) => ({ name: routeKey(route), entry: `${ENTRY_ROOT}/${handlerFile(route.handler).file}`, exportName: "handler" })),
    ...planStreamFunctions(routes).map((fn) => ({ name: fn.description, entry: fn.entry, exportName: "handler" })),
    ...[
      ...Object.entries(workers).map(([queue, worker]) => ({ name: `worker ${queue}`, handler: worker.handler as HandlerRef })),
      ...cronJobs.map((job) => ({ name: `cron ${job.name}`, handler: job.handler as HandlerRef })),
    ].map(({ name, handler }) => ({ name, entry: `${HANDLER_ROOT}/${handlerFile(handler).file}`, exportName: handlerFile(handler).exportName })),
  ];
  const byEntry = new Map<string, Bundle>();
  for (const { name, entry, exportName } of all) {
    const bundle = byEntry.get(entry) ?? { entry, functions: [], exportNames: new Set<string>() };
    bundle.functions.push(name);
    bundle.exportNames.add(exportName);
    byEntry.set(entry, bundle);
  }
  return byEntry;
}

function importOnce(entry: string, chunks: string[]): Promise<{ child: ChildResult; processMs: number }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const urls = [entry, ...chunks].map((path) => pathToFileURL(path).href);
    // A Lambda-like environment, nothing inherited: no NODE_OPTIONS, no test settings.
    const child = spawn(NODE, ["--input-type=module", "-e", CHILD, ...urls], {
      env: { PATH: process.env.PATH ?? "", AWS_REGION: "ap-southeast-1", POWERTOOLS_SERVICE_NAME: "sambung", LOG_LEVEL: "INFO" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) return fail(new Error(`importing ${entry} exited ${code}: ${err.trim()}`));
      try {
        done({ child: JSON.parse(out) as ChildResult, processMs });
      } catch {
        fail(new Error(`importing ${entry} printed no result: ${out} ${err}`));
      }
    });
  });
}

/** Sizes from esbuild's metafile: the entry plus what it imports statically, and everything. */
function sizes(metafile: Esbuild.Metafile, entryOutput: string): { eager: number; total: number } {
  const outputs = metafile.outputs;
  const eager = new Set<string>();
  const visit = (path: string) => {
    if (eager.has(path) || !outputs[path]) return;
    eager.add(path);
    for (const imported of outputs[path].imports) if (imported.kind === "import-statement") visit(imported.path);
  };
  visit(entryOutput);
  const bytes = (paths: Iterable<string>) => [...paths].reduce((sum, path) => sum + (outputs[path]?.bytes ?? 0), 0) / 1024;
  return { eager: bytes(eager), total: bytes(Object.keys(outputs)) };
}

/**
 * `bundles`: bundles every function as the stacks deploy it (one bundle per route
 * module's entry and per worker / cron module; functions sharing one deploy the same
 * code), reports each bundle's
 * minified size, eager (parsed at cold start) and total, and its module init time
 * in fresh Node processes.
 */
export const bundles: Bench = async () => {
  const dir = await mkdtemp(join(tmpdir(), "sambung-bundles-"));
  const measured: Measured[] = [];
  try {
    // Built side by side (esbuild's service spreads them over the cores), timed one at a time.
    const built = await Promise.all(
      [...bundlesToBuild()].map(async ([file, bundle]) => {
        const { metafile } = await esbuild.build(bundleOptions(`${file}.ts`, join(dir, file.replaceAll("/", "__"))));
        return { file, ...bundle, metafile };
      }),
    );
    for (const { file, functions, exportNames, metafile } of built) {
      if (!metafile) throw new Error(`esbuild returned no metafile for ${file}`);
      const outputs = Object.keys(metafile.outputs);
      const entryOutput = outputs.find((path) => basename(path) === `${basename(file)}.mjs`);
      if (!entryOutput) throw new Error(`esbuild wrote no ${basename(file)}.mjs for ${file}`);
      const { eager, total } = sizes(metafile, entryOutput);
      const chunks = outputs.filter((path) => path !== entryOutput).map((path) => resolve(path));
      const runs: { child: ChildResult; processMs: number }[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await importOnce(resolve(entryOutput), chunks));
      measured.push({
        // "http/providers (routes)", "stream/post-api-v1-ai-chat (Function URL)", "workers/diag".
        file: file.startsWith(`${ENTRY_ROOT}/stream/`)
          ? `${file.slice(ENTRY_ROOT.length + 1)} (Function URL)`
          : file.startsWith(`${ENTRY_ROOT}/`)
            ? `${file.slice(ENTRY_ROOT.length + 1)} (routes)`
            : file.slice(HANDLER_ROOT.length + 1),
        functions,
        exportsWanted: [...exportNames],
        eagerKb: eager,
        totalKb: total,
        initMs: median(runs.map(({ child }) => child.init)),
        allMs: median(runs.map(({ child }) => child.all)),
        processMs: median(runs.map(({ processMs }) => processMs)),
        exports: runs[0]?.child.exports ?? [],
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const width = Math.max(...measured.map(({ file }) => file.length));
  const ms = (value: number) => value.toFixed(0).padStart(4);
  const lines = [
    `${measured.length} bundles for ${measured.reduce((sum, { functions }) => sum + functions.length, 0)} routes, workers and jobs; medians of ${RUNS} fresh processes`,
    `eager = entry + static imports (parsed at cold start); total = + lazy chunks; init = import of the entry; +lazy = every chunk imported; process = spawn to exit`,
    ...measured
      .toSorted((a, b) => b.eagerKb - a.eagerKb)
      .map(
        (bundle) =>
          `${bundle.file.padEnd(width)}  eager ${bundle.eagerKb.toFixed(0).padStart(4)} KB  total ${bundle.totalKb.toFixed(0).padStart(5)} KB  init ${ms(bundle.initMs)} ms  +lazy ${ms(
            bundle.allMs,
          )} ms  process ${ms(bundle.processMs)} ms  (serves ${bundle.functions.length})`,
      ),
  ];
  const largest = measured.reduce((a, b) => (b.eagerKb > a.eagerKb ? b : a));
  const slowest = measured.reduce((a, b) => (b.initMs > a.initMs ? b : a));
  const missing = measured.flatMap(({ file, exportsWanted, exports }) =>
    exportsWanted.filter((name) => !exports.includes(name)).map((name) => `${file}.${name}`),
  );
  if (missing.length > 0) lines.push(`missing handler exports: ${missing.join(", ")}`);
  const checks: Check[] = [
    { name: `largest bundle, eager part (${largest.file})`, value: largest.eagerKb, unit: "KB", target: `≤ ${MAX_KB} KB`, pass: largest.eagerKb <= MAX_KB },
    { name: `slowest module init (${slowest.file})`, value: slowest.initMs, unit: "ms", target: `≤ ${MAX_INIT_MS} ms`, pass: slowest.initMs <= MAX_INIT_MS },
    { name: "handler exports missing from their bundle", value: missing.length, unit: "", target: "0", pass: missing.length === 0 },
  ];
  return { title: "Function bundles (as deployed: SST's esbuild, minified ESM, node24, AWS SDK bundled, lazy chunks)", lines, checks };
};
