import { uuidv7 } from "../id.ts";
import { z } from "zod";
import { NotFoundError } from "../error.ts";
import * as Event from "../event/index.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";

/**
 * Pipeline self-test. A ping is a record whose insert emits `diag.ping`; the
 * `diag` worker marks it processed. It proves outbox → bus → queue → worker on
 * either runtime, and `failTimes` / `holdMs` exercise retries, dead letters and
 * crash recovery.
 */

const PK = "DIAG#PING";
const TENANT = "platform";

export const CreatePing = z.object({
  failTimes: z.number().int().min(0).max(100).default(0),
  holdMs: z.number().int().min(0).max(60_000).default(0),
  note: z.string().max(200).optional(),
});

export const Ping = z.object({
  id: z.string(),
  status: z.enum(["queued", "processed"]),
  failTimes: z.number().int(),
  holdMs: z.number().int(),
  note: z.string().optional(),
  /** Deliveries the worker has seen, failed ones included. */
  attempts: z.number().int(),
  lastError: z.string().optional(),
  /** How many times the side effect ran: must stay 1 however often the message arrives. */
  effects: z.number().int(),
  createdAt: z.string(),
  processedAt: z.string().optional(),
});
export type Ping = z.infer<typeof Ping>;

export class InjectedFailure extends Error {
  constructor(attempt: number, failTimes: number) {
    super(`diag ping asked to fail: attempt ${attempt} of ${failTimes} planned failures`);
    this.name = "InjectedFailure";
  }
}

/** `parsed`: the request as the HTTP layer validated it against CreatePing (defaults applied). */
export async function create(ports: Ports, parsed: z.output<typeof CreatePing>): Promise<Ping> {
  const id = `ping_${uuidv7()}`;
  const ping: Ping = {
    id,
    status: "queued",
    failTimes: parsed.failTimes,
    holdMs: parsed.holdMs,
    note: parsed.note,
    attempts: 0,
    effects: 0,
    createdAt: new Date(ports.clock.now()).toISOString(),
  };
  await ports.store.put(
    {
      pk: PK,
      sk: id,
      data: ping,
      outbox: Event.create({
        type: "diag.ping",
        tenantId: TENANT,
        occurredAt: new Date(ports.clock.now()),
        data: { pingId: id, failTimes: parsed.failTimes, holdMs: parsed.holdMs },
      }),
    },
    { ifNotExists: true },
  );
  return ping;
}

export async function get(ports: Ports, id: string): Promise<Ping> {
  return (await load(ports, id)).ping;
}

async function load(ports: Ports, id: string): Promise<{ item: Item; ping: Ping }> {
  const item = await ports.store.get(PK, id);
  if (!item) throw new NotFoundError(`ping ${id}`);
  return { item, ping: Ping.parse(item.data) };
}

/** Read-modify-write with the item's version, retried on a concurrent change; starts from `loaded` when the caller just read it. */
async function update(ports: Ports, id: string, change: (ping: Ping) => Ping | undefined, loaded?: { item: Item; ping: Ping }): Promise<Ping> {
  let current = loaded;
  for (;;) {
    const { item, ping } = current ?? (await load(ports, id));
    current = undefined;
    const next = change(ping);
    if (!next) return ping;
    try {
      await ports.store.put({ ...item, outbox: undefined, data: next }, { ifVersion: item.version });
      return next;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

/**
 * The worker's side of a ping. Idempotent: a ping already processed is left alone.
 * Planned failures count deliveries on the record, not the queue's receive count,
 * so a redrive after the dead-letter queue gets past them.
 */
export async function handle(ports: Ports, pingId: string): Promise<Ping> {
  const loaded = await load(ports, pingId);
  const current = loaded.ping;
  if (current.status === "processed") return current;
  const attempt = current.attempts + 1;
  if (attempt <= current.failTimes) {
    const failure = new InjectedFailure(attempt, current.failTimes);
    await update(ports, pingId, (ping) => ({ ...ping, attempts: ping.attempts + 1, lastError: failure.message }), loaded);
    throw failure;
  }
  if (current.holdMs > 0) {
    // Count the delivery before holding, so a crash while holding shows up in `attempts`.
    await update(ports, pingId, (ping) => ({ ...ping, attempts: ping.attempts + 1 }), loaded);
    await new Promise((resolve) => setTimeout(resolve, current.holdMs));
  }
  const finish = (ping: Ping): Ping | undefined =>
    ping.status === "processed"
      ? undefined
      : {
          ...ping,
          attempts: current.holdMs > 0 ? ping.attempts : ping.attempts + 1,
          status: "processed",
          effects: ping.effects + 1,
          processedAt: new Date(ports.clock.now()).toISOString(),
        };
  // After a hold the record has changed since `loaded`: read it again.
  return update(ports, pingId, finish, current.holdMs > 0 ? undefined : loaded);
}
