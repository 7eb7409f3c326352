import type { LocalPorts } from "@sambung/core/adapters/local/index";
import { queueNames } from "@sambung/core/event/queues";
import type { WorkerState } from "@sambung/core/telemetry/system-health";
import { Worker } from "node:worker_threads";
import { logger } from "../log.ts";
import { ThreadMessage, type HostMessage, type ThreadData } from "./background-protocol.ts";

/** How often the thread reports its workers' states for /health. */
const REPORT_EVERY_MS = 500;
/** A thread that dies is started again after this pause, so a crash loop cannot spin. */
const RESTART_AFTER_MS = 1000;
/** Longest wait at shutdown for batches in hand (a delivery attempt may take its 15 s timeout). */
const STOP_WAIT_MS = 30_000;

export interface BackgroundThread {
  states(): Record<string, WorkerState>;
  stop(): Promise<void>;
}

/**
 * Runs the background work (outbox, pollers, cron) in a worker thread with its
 * own connection to the same database. Writes on this side announce themselves
 * through `database.signals`; those are forwarded, coalesced per turn, so the
 * thread wakes as it would in one process. A thread that dies is logged and started again.
 */
export async function startBackgroundThread(ports: LocalPorts, options: Omit<ThreadData, "reportEveryMs">): Promise<BackgroundThread> {
  const data: ThreadData = { ...options, reportEveryMs: REPORT_EVERY_MS };
  let states: Record<string, WorkerState> = {};
  let worker: Worker | undefined;
  let stopping = false;
  let stopped: (() => void) | undefined;

  const send = (message: HostMessage) => worker?.postMessage(message);
  const pending = new Set<string>();
  const forward = (name: string) => () => {
    if (pending.size === 0) {
      queueMicrotask(() => {
        send({ kind: "signal", names: [...pending] });
        pending.clear();
      });
    }
    pending.add(name);
  };
  const listeners = ["outbox", ...queueNames.map((name) => `queue:${name}`)].map((name) => [name, forward(name)] as const);
  for (const [name, listener] of listeners) ports.database.signals.on(name, listener);

  const spawn = () =>
    new Promise<void>((resolve, reject) => {
      const thread = new Worker(new URL("./background-thread.ts", import.meta.url), { workerData: data });
      worker = thread;
      let ready = false;
      thread.on("message", (raw: unknown) => {
        const message = ThreadMessage.parse(raw);
        states = message.states;
        if (message.kind === "ready") {
          ready = true;
          resolve();
        }
        if (message.kind === "stopped") stopped?.();
      });
      thread.on("error", (error) => logger.error("the background thread failed", { error }));
      thread.on("exit", (code) => {
        if (!ready) {
          reject(new Error(`the background thread exited with code ${code} before it started`));
          return;
        }
        if (stopping) return;
        states = Object.fromEntries(Object.entries(states).map(([name, state]) => [name, { ...state, running: false }]));
        logger.error("the background thread stopped unexpectedly; starting it again", { code, restartInMs: RESTART_AFTER_MS });
        setTimeout(() => {
          if (!stopping) spawn().catch((error: unknown) => logger.error("the background thread could not be restarted", { error: error as Error }));
        }, RESTART_AFTER_MS);
      });
    });

  await spawn();
  return {
    states: () => states,
    stop: async () => {
      stopping = true;
      for (const [name, listener] of listeners) ports.database.signals.off(name, listener);
      const thread = worker;
      if (!thread) return;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
        thread.once("exit", () => resolve());
      });
      const timer = setTimeout(() => {
        logger.warn("the background thread did not stop in time; terminating it", { waitedMs: STOP_WAIT_MS });
        void thread.terminate();
      }, STOP_WAIT_MS);
      send({ kind: "stop" });
      await done;
      clearTimeout(timer);
      await thread.terminate();
    },
  };
}
