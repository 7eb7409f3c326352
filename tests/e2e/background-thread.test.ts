import { startRuntime, type Runtime } from "@sambung/functions/local/runtime";
import type { SystemHealth } from "@sambung/core/telemetry/system-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, OWNER, signIn, tempDir } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

/** `npm start`'s arrangement: the API in this thread, outbox, pollers and cron in a worker thread on its own connection. */
describe("local runtime with its background thread", () => {
  const dir = tempDir();
  let runtime: Runtime;
  let token: string;
  beforeAll(async () => {
    runtime = await startRuntime({ dataDir: dir.path, port: 0, owner: OWNER, thread: true });
    token = await signIn(runtime.url);
  });
  afterAll(async () => {
    await runtime.stop();
    dir.remove();
  });
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(runtime.url, method, path, body, { authorization: `Bearer ${token}` });

  it("keeps no pollers or cron in the request thread", () => {
    expect(runtime.pollers).toBeUndefined();
    expect(runtime.cron).toBeUndefined();
  });

  it("processes what the API writes, retries and dead-letters in the thread, and reports its workers in /health", async () => {
    const pings = await Promise.all(Array.from({ length: 50 }, () => api<{ id: string }>("POST", "/api/diag/pings", { note: "thread" })));
    for (const ping of pings) expect(ping.status).toBe(202);
    for (const ping of pings) {
      await waitFor(async () => (await api<{ status: string }>("GET", `/api/diag/pings/${ping.body.id}`)).body.status === "processed", `ping ${ping.body.id} processed`);
    }
    const health = await waitFor(async () => {
      const { body } = await api<SystemHealth>("GET", "/health");
      return typeof body.workers === "object" && (body.workers.diag?.processed ?? 0) >= 50 ? body : undefined;
    }, "the thread's worker states in /health");
    expect(typeof health.workers === "object" && health.workers.diag?.running).toBe(true);
  });

  it("rejects a manual clock, which cannot cross into the thread", async () => {
    const other = tempDir();
    const { ManualClock } = await import("@sambung/core/adapters/clock");
    await expect(startRuntime({ dataDir: other.path, port: 0, clock: new ManualClock(0), thread: true })).rejects.toThrow(/system clock/);
    other.remove();
  });
});
