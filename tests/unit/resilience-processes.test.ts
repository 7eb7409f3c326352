import { ManualClock } from "@sambung/core/adapters/clock";
import { createLocalPorts } from "@sambung/core/adapters/local/index";
import type { Envelope } from "@sambung/core/event/envelope";
import * as Features from "@sambung/core/provider/features";
import * as Provider from "@sambung/core/provider/index";
import { Pipeline } from "@sambung/core/resilience/index";
import type { Principal } from "@sambung/core/tenant/model";
import { spawn, type ChildProcess } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startFlakyProvider } from "../fakes/flaky-provider.ts";
import { nodeBin, repoRoot, tempDir } from "../support/runtime.ts";

const principal: Principal = { kind: "user", userId: "usr_1", email: "owner@example.com", tenantId: "ten_proc", role: "owner", superadmin: false };
const WORKERS = 8;

const core = (path: string) => pathToFileURL(join(repoRoot, "packages/core/src", path)).href;

/**
 * A worker process: its own SQLite connection to the shared file, its own
 * pipeline (breaker cache, rate-limit leases), a clock the parent sets. On
 * {calls, now} it sends that many idempotent calls at once and reports which
 * provider served each.
 */
const WORKER_SOURCE = `
import { ManualClock } from ${JSON.stringify(core("adapters/clock.ts"))};
import { createLocalPorts } from ${JSON.stringify(core("adapters/local/index.ts"))};
import { Pipeline } from ${JSON.stringify(core("resilience/index.ts"))};
import { Recorder } from ${JSON.stringify(core("telemetry/recorder.ts"))};
const clock = new ManualClock(0);
const ports = createLocalPorts(process.env.DATA_DIR, clock, { allowPrivateUrls: true });
const pipeline = new Pipeline({ sleep: async () => {}, recorder: new Recorder({ logWrites: "await" }) });
process.on("message", async (message) => {
  if (message.op === "exit") { ports.database.close(); process.exit(0); }
  clock.set(message.now);
  const results = await Promise.all(Array.from({ length: message.calls }, () =>
    pipeline.call(ports, { tenantId: ${JSON.stringify(principal.tenantId)}, featureKey: "notify.sms", action: "send_sms", idempotent: true,
      run: async (provider, attempt) => (await attempt.fetch({ url: provider.baseUrl + "/send", method: "POST", body: "{}" })).body })
      .then((result) => result.usedFallback ? "fallback" : "primary", (error) => "error: " + error.message)));
  process.send({ results });
});
process.send({ ready: true });
`;

interface Worker {
  child: ChildProcess;
  ask(now: number, calls: number): Promise<string[]>;
}

async function startWorker(dataDir: string): Promise<Worker> {
  const child = spawn(nodeBin, ["--input-type=module", "-e", WORKER_SOURCE], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: dataDir },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
  return {
    child,
    ask: (now, calls) =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve((message as { results: string[] }).results));
        child.send({ now, calls });
      }),
  };
}

describe("one breaker across processes", () => {
  it(`${WORKERS} processes on one SQLite file: the breaker opens once, one event, one half-open probe`, async () => {
    const dir = tempDir("sambung-resilience-procs-");
    const clock = new ManualClock(Date.parse("2026-03-02T10:00:00Z"));
    const ports = createLocalPorts(dir.path, clock, { allowPrivateUrls: true });
    const failing = await startFlakyProvider({ kind: "status", status: 503 });
    const backup = await startFlakyProvider();
    const workers: Worker[] = [];
    try {
      const primary = await Provider.create(ports, principal, { type: "sms", name: "Primary", apiFormat: "rest_simple", baseUrl: failing.url, secrets: { apiKey: "k-0123456789" } });
      const fallback = await Provider.create(ports, principal, { type: "sms", name: "Backup", apiFormat: "rest_simple", baseUrl: backup.url, secrets: { apiKey: "k-9876543210" } });
      await Features.put(ports, principal, { mappings: [{ featureKey: "notify.sms", primaryProviderId: primary.id, fallbackProviderId: fallback.id }] });
      workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker(dir.path)))));
      const events = (type: string) =>
        (ports.database.db.prepare("SELECT envelope FROM outbox").all() as { envelope: string }[])
          .map((row) => JSON.parse(row.envelope) as Envelope)
          .filter((envelope) => envelope.type === type);
      const breaker = () => new Pipeline({ cacheMs: 0 }).breakers.read(ports, primary.id);

      const start = clock.now();
      const outage = (await Promise.all(workers.map((worker) => worker.ask(start, 3)))).flat();
      expect(outage).toEqual(Array.from({ length: WORKERS * 3 }, () => "fallback"));
      expect(await breaker()).toMatchObject({ state: "open", incident: 1 });
      expect(events("provider.circuit_opened")).toHaveLength(1);
      const sent = failing.count();

      // After the cool-down the primary is back, slow enough that every worker asks while the probe is out.
      failing.always({ kind: "ok", delayMs: 200 });
      const recovery = (await Promise.all(workers.map((worker) => worker.ask(start + 61_000, 1)))).flat();
      expect(recovery.filter((served) => served === "primary")).toHaveLength(1);
      expect(recovery.filter((served) => served === "fallback")).toHaveLength(WORKERS - 1);
      expect(failing.count()).toBe(sent + 1);
      expect(await breaker()).toMatchObject({ state: "closed", incident: 1 });
      expect(events("provider.circuit_closed")).toHaveLength(1);
      expect(events("provider.circuit_opened")).toHaveLength(1);
    } finally {
      for (const worker of workers) worker.child.send({ op: "exit" });
      await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.child.exitCode !== null ? resolve(undefined) : worker.child.once("exit", resolve)))));
      await failing.close();
      await backup.close();
      ports.database.close();
      dir.remove();
    }
  }, 60_000);
});
