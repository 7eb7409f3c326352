import type { QueueName } from "@sambung/core/event/queues";
import type { Grant, HandlerRef } from "../grants.ts";

export interface WorkerSpec {
  handler: HandlerRef;
  grants: readonly Grant[];
}

/** The worker for each queue of the catalog's queue table; the type makes a missing one a compile error. */
export const workers = {
  diag: { handler: "workers/diag.handler", grants: ["table:write"] },
  deliver: { handler: "workers/deliver.handler", grants: ["table:write", "keyring", "queues"] },
  settle: { handler: "workers/settle.handler", grants: ["table:write", "keyring", "queues"] },
  channel: { handler: "workers/channel.handler", grants: ["table:write", "keyring", "queues"] },
  notify: { handler: "workers/notify.handler", grants: ["table:write", "keyring", "queues"] },
} as const satisfies Record<QueueName, WorkerSpec>;
