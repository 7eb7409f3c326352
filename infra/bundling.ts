import { readFile } from "node:fs/promises";
import type { NodeJSProps } from "sst/constructs";

/**
 * How every function is bundled: the SST function defaults (sst.config.ts) and the
 * bundle benchmark (tests/bench/bundles.ts) both take it from here.
 *
 * SST v2 bundles with its own esbuild (0.18), which runs in-process with these
 * options on top of its own: platform node, bundle, ESM, `mainFields: module, main`
 * (so the AWS SDK v3 clients are bundled from their ES builds and tree-shaken, never
 * left external), `keepNames`, and a banner that gives ESM code a `require`.
 */
export const NODE_TARGET = "node24";

/** Where the handlers live; a HandlerRef "http/health.handler" is `${HANDLER_ROOT}/http/health.handler`. */
export const HANDLER_ROOT = "packages/functions/src";

/** What esbuild passes to an onLoad callback and takes back; both esbuild versions fit it. */
interface LoadBuild {
  onLoad(
    options: { filter: RegExp },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: "ts" } | undefined>,
  ): void;
}

const IMPORT_ATTRIBUTE = /(\bfrom\s*["'][^"'\n]+\.json["'])\s*with\s*\{\s*type\s*:\s*["']json["']\s*\}/g;
const ZOD_NAMED_NAMESPACE = /\bimport\s*\{\s*z\s*\}\s*from\s*(["'])zod\1/g;

/**
 * Two source rewrites at bundle time, for our own TypeScript only:
 *
 * - SST's esbuild 0.18 cannot parse import attributes (`import pkg from "./x.json"
 *   with { type: "json" }`), which Node 24 requires for JSON imports. esbuild loads
 *   JSON by extension anyway, so the attribute is dropped before parsing.
 * - `import { z } from "zod"` binds zod's re-exported namespace object, which keeps
 *   all of zod v4 classic in the bundle, every error-message locale included
 *   (~460 KB minified); `import * as z from "zod"` is the same API and lets esbuild
 *   drop what is unused (~80 KB).
 */
export const sourceRewrites = {
  name: "sambung-source-rewrites",
  setup(build: LoadBuild): void {
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const source = await readFile(args.path, "utf8");
      const rewritten = source.replace(IMPORT_ATTRIBUTE, "$1").replace(ZOD_NAMED_NAMESPACE, 'import * as z from "zod"');
      return rewritten === source ? undefined : { contents: rewritten, loader: "ts" };
    });
  },
};

/**
 * Lambda-only replacements, resolved from the project root (where SST and the
 * benchmark run esbuild): the AWS SDK's default credential chain becomes its first
 * link, the environment, which is where Lambda puts the role's credentials.
 */
export const LAMBDA_ALIASES = { "@aws-sdk/credential-provider-node": "./infra/lambda-credentials.ts" };

/** The `nodejs` props of every function (SST merges them with its defaults above). */
export const nodejs: NodeJSProps = {
  format: "esm",
  minify: true,
  // A dynamic import() stays lazy: its module becomes a chunk that is parsed when it
  // is first imported, not at cold start (the AWS adapters behind ports(), the
  // provider connection checks). Without it esbuild inlines them into one file.
  splitting: true,
  // SST would otherwise ship source maps to its own bucket through an extra custom resource.
  sourcemap: false,
  esbuild: {
    target: NODE_TARGET,
    legalComments: "none",
    plugins: [sourceRewrites],
    alias: LAMBDA_ALIASES,
  },
};

/**
 * The banner SST 2.49 puts on an ESM bundle (sst/runtime/handlers/node.js), so the
 * benchmark measures the same bytes that are deployed.
 */
export const SST_ESM_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");

/**
 * The complete esbuild options SST 2.49 uses to bundle one handler with `nodejs`
 * above (its defaults, then `nodejs.esbuild` on top; with splitting it writes the
 * entry as `<module>.mjs` and its chunks into one directory). The benchmark builds
 * with these.
 */
export function bundleOptions(entry: string, outdir: string) {
  return {
    entryPoints: [entry],
    outdir,
    splitting: true,
    outExtension: { ".js": ".mjs" },
    platform: "node" as const,
    bundle: true,
    format: "esm" as const,
    target: NODE_TARGET,
    mainFields: ["module", "main"],
    keepNames: true,
    minify: true,
    sourcemap: false,
    external: ["sharp", "pg-native"],
    banner: { js: SST_ESM_BANNER },
    legalComments: "none" as const,
    plugins: [sourceRewrites],
    alias: LAMBDA_ALIASES,
    metafile: true,
    logLevel: "silent" as const,
  };
}
