import { randomBytes } from "node:crypto";
import { NotFoundError } from "../error.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import { messagePk } from "./keys.ts";
import { Message } from "./record.ts";
import { ttlOf } from "./settings.ts";

/** Reading and changing message records: conditional writes, retried on a concurrent change. */

export const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

let lastMs = 0;
let counter = 0;

/** `msg_` + time + counter + random: ids sort by creation, so the id is the sort key. */
export function newMessageId(nowMs: number): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else counter += 1;
  return `msg_${lastMs.toString(36).padStart(9, "0")}${counter.toString(36).padStart(3, "0")}${randomBytes(5).toString("hex")}`;
}

export async function load(ports: Ports, tenantId: string, messageId: string): Promise<{ item: Item; message: Message }> {
  const item = await ports.store.get(messagePk(tenantId), messageId);
  if (!item) throw new NotFoundError(`message ${messageId}`);
  return { item, message: Message.parse(item.data) };
}

/**
 * Applies `change` to the stored message under optimistic concurrency, reading
 * again after a concurrent write. `change` returns undefined to leave it as is.
 */
export async function mutate(ports: Ports, tenantId: string, messageId: string, change: (message: Message) => Message | undefined): Promise<{ message: Message; changed: boolean }> {
  for (;;) {
    const { item, message } = await load(ports, tenantId, messageId);
    const next = change(message);
    if (!next) return { message, changed: false };
    const parsed = Message.parse({ ...next, updatedAt: iso(ports) });
    try {
      await ports.store.put({ pk: item.pk, sk: item.sk, ttl: ttlOf(parsed), data: parsed }, { ifVersion: item.version });
      return { message: parsed, changed: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
