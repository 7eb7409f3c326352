import { ari } from "./ari.ts";
import { bundles } from "./bundles.ts";
import { deliveries } from "./deliveries.ts";
import { ingest } from "./ingest.ts";
import { pipeline } from "./pipeline.ts";
import type { Bench, Check } from "./report.ts";
import { web } from "./web.ts";
import { webhooks } from "./webhooks.ts";

/** `npm run bench [-- name ...]`: runs the named benchmarks (all by default) and prints their numbers. */
const benches: Record<string, Bench> = { ingest, pipeline, web, deliveries, webhooks, bundles, ari };

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; there are: ${Object.keys(benches).join(", ")}`);
  process.exit(2);
}

const checks: Check[] = [];
for (const [name, bench] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const section = await bench();
  console.log(`\n== ${section.title}`);
  for (const line of section.lines) console.log(`   ${line}`);
  checks.push(...section.checks);
}

console.log("\n== Targets");
for (const check of checks) {
  const value = Number.isInteger(check.value) ? String(check.value) : check.value.toFixed(2);
  console.log(`   ${check.pass ? "met " : "MISS"}  ${check.name}: ${value}${check.unit ? ` ${check.unit}` : ""} (target ${check.target})`);
}
