import { Envelope } from "../../event/envelope.ts";
import { queuesFor } from "../../event/index.ts";
import type { Bus, PublishResult } from "../../port.ts";
import type { LocalDatabase } from "./database.ts";
import type { SqliteQueue } from "./queue.ts";

/** The in-process bus: routes each envelope by the event catalog to its queues. */
export class LocalBus implements Bus {
  private readonly database: LocalDatabase;
  private readonly queue: SqliteQueue;

  constructor(database: LocalDatabase, queue: SqliteQueue) {
    this.database = database;
    this.queue = queue;
  }

  /** Routes inside the caller's transaction; throws for a type the catalog does not know. */
  routeWithin(envelope: Envelope): string[] {
    return this.routeSerialized(envelope.type, JSON.stringify(envelope));
  }

  /** For an envelope validated when it was written (the outbox): routes its stored text as is. */
  routeSerialized(type: string, body: string): string[] {
    const targets = queuesFor(type);
    for (const target of targets) this.queue.sendWithin(target, [{ body }]);
    return [...targets];
  }

  async publish(envelopes: Envelope[]): Promise<PublishResult> {
    const failed: PublishResult["failed"] = [];
    const touched = new Set<string>();
    for (const raw of envelopes) {
      try {
        const envelope = Envelope.parse(raw);
        const targets = await this.database.grouped(() => this.routeWithin(envelope));
        for (const target of targets) touched.add(target);
      } catch (error) {
        failed.push({ envelope: raw, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    for (const target of touched) this.queue.announce(target);
    return { failed };
  }
}
