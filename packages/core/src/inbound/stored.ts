import { NotFoundError } from "../error.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import { InboundWebhook, type InboundStatus } from "./record.ts";

/**
 * Stored webhooks, read and marked. Workers that apply a stored webhook (the notify
 * and channel workers, through `processWith`) need only this, not the hub's
 * verifiers and format parsers (inbound/index.ts), which would otherwise be in
 * their bundles.
 */

export const inboundPk = (tenantId: string) => `INBOUND#${tenantId}`;

export async function load(ports: Ports, tenantId: string, key: string): Promise<{ item: Item; record: InboundWebhook }> {
  const item = await ports.store.get(inboundPk(tenantId), key);
  if (!item) throw new NotFoundError(`inbound webhook ${key}`);
  return { item, record: InboundWebhook.parse(item.data) };
}

/** Changes a stored webhook's record; `loaded` (what the caller just read) saves a read unless someone wrote since. */
export async function mark(
  ports: Ports,
  tenantId: string,
  key: string,
  change: (record: InboundWebhook) => Partial<InboundWebhook>,
  loaded?: { item: Item; record: InboundWebhook },
): Promise<void> {
  let current = loaded;
  for (;;) {
    const { item, record } = current ?? (await load(ports, tenantId, key));
    try {
      await ports.store.put({ ...item, data: { ...record, ...change(record) } }, { ifVersion: item.version });
      return;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      current = undefined;
    }
  }
}

/**
 * A worker step for a stored webhook that is not a payment's (delivery statuses):
 * `apply` does the work; the record is marked processed, or failed and finally
 * dead when it throws (the queue retries, then dead-letters it).
 */
export async function processWith(
  ports: Ports,
  tenantId: string,
  key: string,
  attempt: { receiveCount: number; maxReceiveCount: number },
  apply: (record: InboundWebhook) => Promise<void>,
): Promise<void> {
  const { record } = await load(ports, tenantId, key);
  if (record.status === "processed") return;
  try {
    await apply(record);
    await mark(ports, tenantId, key, (current) => ({ status: "processed", attempts: current.attempts + 1, processedAt: new Date(ports.clock.now()).toISOString(), lastError: undefined }));
  } catch (error) {
    const last = attempt.receiveCount >= attempt.maxReceiveCount;
    await mark(ports, tenantId, key, (current) => ({ status: (last ? "dead" : "failed") as InboundStatus, attempts: current.attempts + 1, lastError: error instanceof Error ? error.message : String(error) }));
    throw error;
  }
}
