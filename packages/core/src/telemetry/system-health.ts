import { z } from "zod";
import { queueNames } from "../event/queues.ts";
import type { Ports, QueueStats } from "../port.ts";

export const WorkerState = z.object({
  running: z.boolean(),
  processed: z.number().int(),
  failed: z.number().int(),
  lastRunAt: z.string().optional(),
});
export type WorkerState = z.infer<typeof WorkerState>;

export interface SystemHealth {
  status: "ok" | "degraded";
  version: string;
  store: { ok: boolean; latencyMs: number; error?: string };
  queues: Record<string, (QueueStats & { ok: true }) | { ok: false; error: string }>;
  workers: Record<string, WorkerState> | "managed by AWS Lambda";
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; ms: number; error?: string }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The state of the store, every queue and the workers; degraded when any part fails or a queue has dead letters. */
export async function check(
  ports: Pick<Ports, "store" | "queue">,
  version: string,
  workers: SystemHealth["workers"],
): Promise<SystemHealth> {
  const store = await timed(() => ports.store.ping());
  const queues: SystemHealth["queues"] = {};
  await Promise.all(
    queueNames.map(async (name) => {
      const result = await timed(() => ports.queue.stats(name));
      queues[name] = result.value ? { ok: true, ...result.value } : { ok: false, error: result.error ?? "unknown" };
    }),
  );
  const queuesOk = Object.values(queues).every((queue) => queue.ok && queue.dead === 0);
  const workersOk = typeof workers === "string" || Object.values(workers).every((worker) => worker.running);
  return {
    status: !store.error && queuesOk && workersOk ? "ok" : "degraded",
    version,
    store: { ok: !store.error, latencyMs: Math.round(store.ms * 100) / 100, ...(store.error ? { error: store.error } : {}) },
    queues,
    workers,
  };
}
