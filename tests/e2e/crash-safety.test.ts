import type { Ping } from "@sambung/core/diag/index";
import { afterAll, describe, expect, it } from "vitest";
import { call, signIn, spawnRuntime, tempDir } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

const data = tempDir("sambung-crash-");
afterAll(() => data.remove());

const sessions = new Map<string, string>();

/** Calls the child runtime as its owner, signing in once per process. */
async function as(url: string) {
  let token = sessions.get(url);
  if (!token) {
    token = await signIn(url);
    sessions.set(url, token);
  }
  const authorization = `Bearer ${token}`;
  return <T>(method: string, path: string, body?: unknown) => call<T>(url, method, path, body, { authorization });
}

async function getPing(url: string, id: string): Promise<Ping> {
  return (await (await as(url))<Ping>("GET", `/api/diag/pings/${id}`)).body;
}

describe("npm start's process", () => {
  it("loses nothing and processes nothing twice when killed while a worker holds a message", async () => {
    const first = await spawnRuntime(data.path);
    const created = await (await as(first.url))<Ping>("POST", "/api/diag/pings", { holdMs: 5_000 });
    expect(created.status).toBe(202);
    // The worker has the message in hand (attempt counted) but has not finished it.
    await waitFor(async () => (await getPing(first.url, created.body.id)).attempts === 1, "the worker to take the message");
    first.process.kill("SIGKILL");
    expect(await first.exited).toBe(null);

    const second = await spawnRuntime(data.path);
    const done = await waitFor(
      async () => {
        const current = await getPing(second.url, created.body.id);
        return current.status === "processed" ? current : undefined;
      },
      "the ping to be processed after restart",
      20_000,
    );
    expect(done.effects).toBe(1);
    expect(done.attempts).toBe(2);

    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("drains in-flight work on SIGTERM, exits 0, and keeps its data for the next start", async () => {
    const first = await spawnRuntime(data.path);
    const created = await (await as(first.url))<Ping>("POST", "/api/diag/pings", { holdMs: 800 });
    await waitFor(async () => (await getPing(first.url, created.body.id)).attempts === 1, "the worker to take the message");
    first.process.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped cleanly");

    const second = await spawnRuntime(data.path);
    const kept = await getPing(second.url, created.body.id);
    // Finished before exit: the shutdown waited for the batch instead of abandoning it.
    expect(kept).toMatchObject({ status: "processed", attempts: 1, effects: 1 });
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});
