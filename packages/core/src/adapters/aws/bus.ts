import { setTimeout as sleep } from "node:timers/promises";
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { Envelope } from "../../event/envelope.ts";
import { queuesFor } from "../../event/index.ts";
import type { Bus, PublishResult } from "../../port.ts";

export interface EventBridgeBusOptions {
  /** Tries per entry, the first included. */
  attempts?: number;
  /** Backoff before the n-th retry: base * 2^(n-1), with jitter. */
  baseDelayMs?: number;
}

/** The `source` every rule of the events stack matches on. */
export const EVENT_SOURCE = "sambung";
const CHUNK = 10;

interface Pending {
  envelope: Envelope;
  entry: PutEventsRequestEntry;
  reason: string;
}

/**
 * The bus on EventBridge. PutEvents can take some entries of a call and refuse
 * others; only the refused ones are retried, and whatever is still refused after
 * the last try is returned in `failed`, never dropped.
 */
export class EventBridgeBus implements Bus {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly attempts: number;
  private readonly baseDelayMs: number;

  constructor(client: EventBridgeClient, busName: string, options: EventBridgeBusOptions = {}) {
    this.client = client;
    this.busName = busName;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
  }

  async publish(envelopes: Envelope[]): Promise<PublishResult> {
    const failed: PublishResult["failed"] = [];
    let pending: Pending[] = [];
    for (const raw of envelopes) {
      try {
        const envelope = Envelope.parse(raw);
        // EventBridge accepts a type no rule matches and drops it quietly; refuse it here instead.
        queuesFor(envelope.type);
        pending.push({ envelope: raw, entry: this.entry(envelope), reason: "" });
      } catch (error) {
        failed.push({ envelope: raw, reason: message(error) });
      }
    }
    for (let attempt = 1; pending.length > 0 && attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(this.baseDelayMs * 2 ** (attempt - 2) * (0.5 + Math.random() / 2));
      pending = await this.put(pending);
    }
    for (const item of pending) failed.push({ envelope: item.envelope, reason: item.reason });
    return { failed };
  }

  private entry(envelope: Envelope): PutEventsRequestEntry {
    return {
      Source: EVENT_SOURCE,
      DetailType: envelope.type,
      Detail: JSON.stringify(envelope),
      EventBusName: this.busName,
    };
  }

  /** One pass over everything pending, 10 entries per call; returns what was refused, with why. */
  private async put(pending: Pending[]): Promise<Pending[]> {
    const refused: Pending[] = [];
    for (let start = 0; start < pending.length; start += CHUNK) {
      const chunk = pending.slice(start, start + CHUNK);
      try {
        const { Entries = [] } = await this.client.send(new PutEventsCommand({ Entries: chunk.map((item) => item.entry) }));
        chunk.forEach((item, index) => {
          const result = Entries[index];
          if (!result) refused.push({ ...item, reason: "EventBridge returned no result for this entry" });
          else if (result.ErrorCode) refused.push({ ...item, reason: `${result.ErrorCode}: ${result.ErrorMessage ?? ""}`.trim() });
        });
      } catch (error) {
        // The whole call failed (after the SDK's own retries): every entry in it is still ours.
        for (const item of chunk) refused.push({ ...item, reason: message(error) });
      }
    }
    return refused;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
