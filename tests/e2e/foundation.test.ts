import type { Ping } from "@sambung/core/diag/index";
import type { QueueDeadLetters } from "@sambung/core/event/dead-letters";
import type { SystemHealth } from "@sambung/core/telemetry/system-health";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

let hub: TestRuntime;

beforeAll(async () => {
  hub = await startTestRuntime();
});
afterAll(async () => {
  await hub.close();
});

async function ping(id: string): Promise<Ping> {
  const { status, body } = await hub.api<Ping>("GET", `/api/diag/pings/${id}`);
  expect(status).toBe(200);
  return body;
}

describe("local runtime over real HTTP", () => {
  it("answers /health with the version and the state of store, queues and workers", async () => {
    const { status, body } = await hub.api<SystemHealth>("GET", "/health");
    expect(status).toBe(200);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.store.ok).toBe(true);
    expect(body.queues.diag).toMatchObject({ ok: true, dead: 0 });
    expect(body.workers).toMatchObject({ diag: { running: true } });
  });

  it("carries a write through the outbox, the queue and the worker", async () => {
    const created = await hub.api<Ping>("POST", "/api/diag/pings", { note: "plumbing" });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe("queued");
    const done = await waitFor(async () => {
      const current = await ping(created.body.id);
      return current.status === "processed" ? current : undefined;
    }, "the ping to be processed");
    expect(done).toMatchObject({ attempts: 1, effects: 1, note: "plumbing" });
  });

  it("retries a failing worker after the visibility timeout, dead-letters it after the receive count, and redrives it", async () => {
    const created = await hub.api<Ping>("POST", "/api/diag/pings", { failTimes: 3 });
    const id = created.body.id;
    // Three deliveries, each failing; the clock moves past the 30 s visibility timeout between them.
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await waitFor(async () => (await ping(id)).attempts === attempt, `delivery ${attempt}`);
      hub.clock.advance(31_000);
    }
    const dead = await waitFor(async () => {
      const { body } = await hub.api<{ queues: QueueDeadLetters[] }>("GET", "/api/admin/dlq");
      const diag = body.queues.find((queue) => queue.queue === "diag");
      return diag && diag.dead === 1 ? diag : undefined;
    }, "the message in the dead-letter queue");
    expect(JSON.parse(dead.sample[0]?.body ?? "{}")).toMatchObject({ type: "diag.ping", data: { pingId: id } });
    expect((await ping(id)).status).toBe("queued");
    const health = await hub.api<SystemHealth>("GET", "/health");
    expect(health.body.status).toBe("degraded");

    const redriven = await hub.api<{ moved: number }>("POST", "/api/admin/dlq/diag/redrive", {});
    expect(redriven.body).toEqual({ queue: "diag", moved: 1 });
    const done = await waitFor(async () => {
      const current = await ping(id);
      return current.status === "processed" ? current : undefined;
    }, "the redriven ping to be processed");
    expect(done).toMatchObject({ attempts: 4, effects: 1 });
    const after = await hub.api<{ queues: QueueDeadLetters[] }>("GET", "/api/admin/dlq");
    expect(after.body.queues.find((queue) => queue.queue === "diag")?.dead).toBe(0);
  });

  it("answers bad input with a 4xx that names what to fix", async () => {
    const wrongType = await hub.api<{ error: { code: string; message: string; issues: { path: string }[] } }>(
      "POST",
      "/api/diag/pings",
      { failTimes: "twice" },
    );
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.issues[0]?.path).toBe("body.failTimes");
    expect(wrongType.body.error.message).toContain("body.failTimes");

    const notJson = await hub.api<{ error: { code: string } }>("POST", "/api/diag/pings", "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe("invalid_body");

    const missing = await hub.api<{ error: { message: string } }>("GET", "/api/diag/pings/ping_unknown");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("ping_unknown");

    const noRoute = await hub.api("GET", "/api/nowhere");
    expect(noRoute.status).toBe(404);
    const wrongMethod = await hub.api("DELETE", "/health");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");

    const unknownQueue = await hub.api<{ error: { message: string } }>("POST", "/api/admin/dlq/nope/redrive", {});
    expect(unknownQueue.status).toBe(404);
    expect(unknownQueue.body.error.message).toContain("diag");
  });

  it("returns a correlation id on every answer and honours the caller's", async () => {
    const { headers } = await hub.api("GET", "/health", undefined, { "x-correlation-id": "corr-123" });
    expect(headers.get("x-correlation-id")).toBe("corr-123");
  });
});
