import * as Event from "../event/index.ts";
import { blockedHost } from "../format/checks/address-guard.ts";
import { otaEngines, type MappedItem, type OtaContext, type OtaEngine } from "../format/ota/index.ts";
import { itemsPerMessage } from "../format/ota/common.ts";
import { sendWithToken } from "../format/token-exchange.ts";
import { ConditionFailedError, type HttpRequest, type Item, type Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import { ProviderError } from "../resilience/errors.ts";
import { loadChunks, type LoadedChunk } from "./ari-store.ts";
import { coalesce, pack } from "./coalesce.ts";
import { ackPk, channelPk, dirtyPk, lockPk, perChannel, retryPk, statusSk } from "./keys.ts";
import { codeMap, getConnection, type CodeMap } from "./setup.ts";
import type { Connection } from "./model.ts";

export const CHANNEL_QUEUE = "channel";
/** How long one pusher may hold a channel before another may take over (a crashed worker). */
const LOCK_SECONDS = 300;
/** Messages in flight at once to one channel. */
const PARALLEL_MESSAGES = 4;
/** Retry waits after a failed push: 30 s doubling, capped at the queue's longest delay. */
const RETRY_BASE_SECONDS = 30;
const RETRY_MAX_SECONDS = 900;

/** Per channel and location: what was last pushed and acknowledged, for the admin page and the API. */
export interface ChannelStatus {
  providerId: string;
  locationId: string;
  lastPushAt?: string;
  lastAckAt?: string;
  /** Messages and items of the last successful push. */
  lastMessages?: number;
  lastItems?: number;
  lastError?: string;
  failingSince?: string;
  nextRetryAt?: string;
  retryAttempt?: number;
  /** The last booking pull: when, and why it failed (cleared by the next good one). */
  lastPullAt?: string;
  lastPullError?: string;
  /** When the last pull whose bookings were all stored began: where the next one starts, for channels whose booking list is a time window. */
  pulledThrough?: string;
}

export interface PushOutcome {
  messages: number;
  items: number;
  failed?: ProviderError;
}

const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

export async function updateStatus(ports: Ports, tenantId: string, locationId: string, providerId: string, change: (current: ChannelStatus) => ChannelStatus): Promise<void> {
  const pk = channelPk(tenantId);
  const sk = statusSk(locationId, providerId);
  for (;;) {
    const item = await ports.store.get(pk, sk);
    const current = (item?.data as ChannelStatus | undefined) ?? { providerId, locationId };
    try {
      await ports.store.put({ pk, sk, data: { ...change(current) } }, item ? { ifVersion: item.version } : { ifNotExists: true });
      return;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

export async function statusOf(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<ChannelStatus> {
  const item = await ports.store.get(channelPk(tenantId), statusSk(locationId, providerId));
  return (item?.data as ChannelStatus | undefined) ?? { providerId, locationId };
}

async function dirtyMarkers(ports: Ports, tenantId: string, locationId: string, providerId: string, limit = 1000): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(dirtyPk(tenantId, locationId), { prefix: `${providerId}#`, cursor, limit: Math.min(limit, 1000) });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor && out.length < limit);
  return out;
}

export async function dirtyCount(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<number> {
  return (await dirtyMarkers(ports, tenantId, locationId, providerId, 10_000)).length;
}

async function acquire(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<Item | undefined> {
  try {
    return await ports.store.put({ pk: lockPk(tenantId, locationId), sk: providerId, ttl: Math.floor(ports.clock.now() / 1000) + LOCK_SECONDS, data: { at: ports.clock.now() } }, { ifNotExists: true });
  } catch (error) {
    if (error instanceof ConditionFailedError) return undefined;
    throw error;
  }
}

async function release(ports: Ports, lock: Item): Promise<void> {
  try {
    await ports.store.delete(lock.pk, lock.sk, { ifVersion: lock.version });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}

/** Records what a channel acknowledged for a chunk: never moves back (a slower pusher cannot undo a newer ack). */
async function acknowledge(ports: Ports, tenantId: string, locationId: string, providerId: string, loaded: LoadedChunk): Promise<void> {
  const pk = ackPk(tenantId, locationId);
  const sk = perChannel(providerId, loaded.key);
  const chunk = loaded.chunk;
  const data: Record<string, unknown> = { rev: chunk.rev, at: iso(ports) };
  // The rates the channel now holds, for the parity report.
  if (chunk.rate !== undefined) {
    data.rate = chunk.days.map((cell) => cell?.rate ?? null);
    data.currency = chunk.days.map((cell) => cell?.currency ?? null);
  }
  for (;;) {
    const item = await ports.store.get(pk, sk);
    if (item && Number(item.data.rev) >= chunk.rev) return;
    try {
      await ports.store.put({ pk, sk, data }, item ? { ifVersion: item.version } : { ifNotExists: true });
      return;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

/** Drops a dirty marker unless a newer change re-marked it since it was read. */
async function clearMarker(ports: Ports, marker: Item, acknowledgedRev: number): Promise<void> {
  if (Number(marker.data.rev) > acknowledgedRev) return;
  try {
    await ports.store.delete(marker.pk, marker.sk, { ifVersion: marker.version });
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
}

function mapItems(items: ReturnType<typeof coalesce>, codes: CodeMap): MappedItem[] {
  const mapped: MappedItem[] = [];
  for (const item of items) {
    const roomCode = codes.room(item.room);
    if (!roomCode) continue;
    const rateCode = item.rate === undefined ? undefined : codes.rate(item.room, item.rate);
    if (item.rate !== undefined && !rateCode) continue;
    mapped.push({ ...item, roomCode, rateCode });
  }
  return mapped;
}

function isMapped(chunk: LoadedChunk["chunk"], codes: CodeMap): boolean {
  if (!codes.room(chunk.room)) return false;
  return chunk.rate === undefined || codes.rate(chunk.room, chunk.rate) !== undefined;
}

export function engineOf(provider: ProviderRecord): OtaEngine | undefined {
  return otaEngines[provider.apiFormat];
}

/** The engine's context for one resilience attempt. */
export async function contextFor(ports: Ports, provider: ProviderRecord, connection: Connection, attempt: Resilience.Attempt, since?: string): Promise<OtaContext> {
  const call = { ports, provider, secrets: await Provider.secretsOf(ports, provider), baseUrl: Provider.baseUrlOf(provider) };
  const fetch = (request: HttpRequest) => attempt.fetch(request, { throwOnError: false });
  return { ...call, hotelCode: connection.hotelCode, ...(since ? { since } : {}), send: (request) => sendWithToken(call, request, fetch) };
}

/** Refuses a channel whose hosts are not public (unless the deployment allows private URLs). */
export async function guardHosts(ports: Ports, provider: ProviderRecord): Promise<void> {
  const blocked = await blockedHost(ports, provider, Provider.baseUrlOf(provider));
  if (blocked) throw new ProviderError({ code: "error", retryable: false, delivery: "no", message: `${provider.name}: ${blocked}` });
}

/**
 * One pass for one channel: read its dirty chunks, coalesce them into the fewest
 * items, pack them into messages within the channel's limit, send each through
 * the resilience pipeline (ARI is state, so retries are safe), and acknowledge
 * every chunk whose items all went through.
 */
async function pushOnce(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<PushOutcome> {
  let provider: ProviderRecord;
  try {
    provider = await Provider.get(ports, tenantId, providerId);
  } catch {
    return { messages: 0, items: 0 };
  }
  const engine = engineOf(provider);
  const connection = await getConnection(ports, tenantId, locationId, providerId);
  if (!provider.active || !engine || !connection) return { messages: 0, items: 0 };
  const markers = await dirtyMarkers(ports, tenantId, locationId, providerId);
  if (markers.length === 0) return { messages: 0, items: 0 };
  const keyOf = (marker: Item) => marker.sk.slice(providerId.length + 1);
  const chunks = await loadChunks(ports, tenantId, locationId, markers.map(keyOf));
  const acks = new Map<string, number>();
  await Promise.all(
    chunks.map(async ({ key }) => {
      const item = await ports.store.get(ackPk(tenantId, locationId), perChannel(providerId, key));
      acks.set(key, Number(item?.data.rev ?? 0));
    }),
  );
  const codes = codeMap(connection);
  const mappedChunks = chunks.filter((loaded) => isMapped(loaded.chunk, codes));
  const items = mapItems(coalesce(mappedChunks, (key) => acks.get(key) ?? 0, engine.facets, providerId), codes);
  const messages = pack(items, itemsPerMessage(provider, engine.defaultItemsPerMessage));

  const failedChunks = new Set<string>();
  let failure: ProviderError | undefined;
  if (messages.length > 0) {
    try {
      await guardHosts(ports, provider);
    } catch (error) {
      failure = error as ProviderError;
    }
  }
  let next = 0;
  const lane = async () => {
    while (!failure && next < messages.length) {
      const message = messages[next++];
      if (!message) return;
      try {
        await Resilience.callProvider(ports, provider, {
          action: `ari.${message.kind}`,
          idempotent: true,
          request: { kind: message.kind, items: message.items.length, from: message.items[0]?.from, to: message.items.at(-1)?.to },
          run: async (current, attempt) => engine.sendAri(await contextFor(ports, current, connection, attempt), message.kind, message.items),
        });
      } catch (error) {
        failure ??= Resilience.classify(error);
        for (const item of message.items) for (const key of item.chunks) failedChunks.add(key);
      }
    }
  };
  if (!failure) await Promise.all(Array.from({ length: Math.min(PARALLEL_MESSAGES, messages.length) }, lane));
  if (failure) {
    // Messages never started count as failed too.
    for (const message of messages.slice(next)) for (const item of message.items) for (const key of item.chunks) failedChunks.add(key);
  }
  const byKey = new Map(chunks.map((loaded) => [loaded.key, loaded]));
  await Promise.all(
    markers.map(async (marker) => {
      const key = keyOf(marker);
      const loaded = byKey.get(key);
      if (!loaded || failedChunks.has(key)) return;
      if (isMapped(loaded.chunk, codes)) await acknowledge(ports, tenantId, locationId, providerId, loaded);
      await clearMarker(ports, marker, loaded.chunk.rev);
    }),
  );
  const at = iso(ports);
  await updateStatus(ports, tenantId, locationId, providerId, (current) =>
    failure
      ? { ...current, lastError: failure.message, failingSince: current.failingSince ?? at }
      : { ...current, lastPushAt: at, lastAckAt: messages.length > 0 ? at : current.lastAckAt, lastMessages: messages.length, lastItems: items.length, lastError: undefined, failingSince: undefined, nextRetryAt: undefined, retryAttempt: undefined },
  );
  return { messages: messages.length, items: items.length, failed: failure };
}

export function pushEvent(tenantId: string, locationId: string, providerId?: string, attempt?: number) {
  return Event.create({ type: "channel.push", tenantId, locationId, data: { locationId, ...(providerId ? { providerId } : {}), ...(attempt ? { attempt } : {}) } });
}

/** One pending retry per channel, after a failed push: the dirty set waits, so the retry sends the latest state. */
async function scheduleRetry(ports: Ports, tenantId: string, locationId: string, providerId: string, attempt: number): Promise<void> {
  const delay = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, attempt - 1));
  const dueAt = ports.clock.now() + delay * 1000;
  try {
    await ports.store.put({ pk: retryPk(tenantId, locationId), sk: providerId, ttl: Math.floor(dueAt / 1000) + 60, data: { attempt, dueAt } }, { ifNotExists: true });
  } catch (error) {
    if (error instanceof ConditionFailedError) return;
    throw error;
  }
  await ports.queue.send(CHANNEL_QUEUE, [{ body: JSON.stringify(pushEvent(tenantId, locationId, providerId, attempt)), delaySeconds: delay }]);
  await updateStatus(ports, tenantId, locationId, providerId, (current) => ({ ...current, nextRetryAt: new Date(dueAt).toISOString(), retryAttempt: attempt }));
}

/**
 * Pushes one channel's dirty state, one pusher per channel at a time. A pusher
 * that finds the channel taken leaves: the holder looks for new dirty chunks
 * after it lets go, so nothing written meanwhile waits for the next write.
 */
export async function pushChannel(ports: Ports, tenantId: string, locationId: string, providerId: string, attempt = 0): Promise<PushOutcome | undefined> {
  let last: PushOutcome | undefined;
  for (let round = 0; round < 4; round += 1) {
    const lock = await acquire(ports, tenantId, locationId, providerId);
    if (!lock) return last;
    try {
      last = await pushOnce(ports, tenantId, locationId, providerId);
    } finally {
      await release(ports, lock);
    }
    if (last.failed) {
      // Even a refusal is retried (slowly): the state stays dirty until the owner fixes the record or mapping.
      await scheduleRetry(ports, tenantId, locationId, providerId, attempt + 1);
      return last;
    }
    if ((await dirtyMarkers(ports, tenantId, locationId, providerId, 1)).length === 0) return last;
  }
  // Writes keep coming: hand the rest to a fresh job rather than hold this worker.
  await ports.queue.send(CHANNEL_QUEUE, [{ body: JSON.stringify(pushEvent(tenantId, locationId, providerId)) }]);
  return last;
}

/** Drops the pending-retry claim when its retry runs, so a failure then schedules the next. */
export async function takeRetry(ports: Ports, tenantId: string, locationId: string, providerId: string): Promise<void> {
  await ports.store.delete(retryPk(tenantId, locationId), providerId);
}

