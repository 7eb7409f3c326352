import { join } from "node:path";
import { queues } from "../../event/queues.ts";
import type { Clock, PlatformConfig, Ports, QueueConfig } from "../../port.ts";
import { systemClock } from "../clock.ts";
import { NodeHttp } from "../http.ts";
import { LocalBus } from "./bus.ts";
import { LocalDatabase } from "./database.ts";
import { FileKeyring } from "./keyring.ts";
import { OutboxDispatcher } from "./outbox-dispatcher.ts";
import { FilePlatformSecrets } from "./platform-secrets.ts";
import { SqliteQueue } from "./queue.ts";
import { SqliteStore } from "./store.ts";

export { LocalDatabase } from "./database.ts";
export { SqliteStore } from "./store.ts";
export { SqliteQueue, UnknownQueueError } from "./queue.ts";
export { LocalBus } from "./bus.ts";
export { OutboxDispatcher } from "./outbox-dispatcher.ts";
export { FileKeyring } from "./keyring.ts";
export { FilePlatformSecrets } from "./platform-secrets.ts";

/** The queue table as adapter configuration. */
export function queueConfigs(): QueueConfig[] {
  return Object.entries(queues).map(([name, spec]) => ({
    name,
    maxReceiveCount: spec.maxReceiveCount,
    visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
  }));
}

export interface LocalPorts extends Ports {
  database: LocalDatabase;
  store: SqliteStore;
  queue: SqliteQueue;
  bus: LocalBus;
  keyring: FileKeyring;
  dispatcher: OutboxDispatcher;
}

/** Everything the embedded default needs, rooted in one data directory. */
export function createLocalPorts(
  dataDir: string,
  clock: Clock = systemClock,
  config: Partial<PlatformConfig> = {},
  options: { checkpointer?: boolean } = {},
): LocalPorts {
  const database = new LocalDatabase(join(dataDir, "sambung.db"), options);
  const store = new SqliteStore(database, clock);
  const queue = new SqliteQueue(database, clock, queueConfigs());
  const bus = new LocalBus(database, queue);
  return {
    config: { runtime: "local", allowPrivateUrls: false, ...config },
    database,
    store,
    queue,
    bus,
    dispatcher: new OutboxDispatcher(database, bus, queue),
    keyring: new FileKeyring(join(dataDir, "master.key.json")),
    secrets: new FilePlatformSecrets(join(dataDir, "platform-secrets.json")),
    clock,
    http: new NodeHttp(),
  };
}
