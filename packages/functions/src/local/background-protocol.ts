import { WorkerState } from "@sambung/core/telemetry/system-health";
import { z } from "zod";

/** What the background thread is started with. */
export const ThreadData = z.object({
  dataDir: z.string().min(1),
  allowPrivateUrls: z.boolean(),
  publicUrl: z.string().optional(),
  reportEveryMs: z.number().int().positive(),
});
export type ThreadData = z.infer<typeof ThreadData>;

const States = z.record(z.string(), WorkerState);

/** From the request thread: database signals to re-emit there (a write announced an outbox entry or a message), or stop. */
export const HostMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signal"), names: z.array(z.string()) }),
  z.object({ kind: z.literal("stop") }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

/** From the background thread: started, worker states now and then, and stopped with everything closed. */
export const ThreadMessage = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("ready"), states: States }),
  z.object({ kind: z.literal("states"), states: States }),
  z.object({ kind: z.literal("stopped"), states: States }),
]);
export type ThreadMessage = z.infer<typeof ThreadMessage>;
