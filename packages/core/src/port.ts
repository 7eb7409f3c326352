import type { Envelope } from "./event/envelope.ts";

/**
 * Ports: the only things domain modules may touch. Each has a local adapter
 * (embedded default) and an AWS adapter, and one contract suite in
 * tests/contract/ that both must pass.
 */

// ---------------------------------------------------------------- Store

/**
 * One record of the single table. `pk`/`sk` are the primary key; `gsi1pk`/`gsi1sk`
 * an optional secondary access path. `ttl` is epoch seconds: expired items are
 * invisible to reads on both adapters (DynamoDB deletes lazily, so we filter).
 */
export interface Item {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  ttl?: number;
  /** Optimistic-concurrency counter, managed by the adapter: 1 on first write. */
  version?: number;
  /**
   * An event that leaves through the outbox when this item is first inserted
   * (the stored record is the outbox entry). Updates never re-emit.
   */
  outbox?: Envelope;
  data: Record<string, unknown>;
}

export interface PutOptions {
  /** Fail with ConditionFailedError if an item with this key exists (idempotency). */
  ifNotExists?: boolean;
  /** Fail with ConditionFailedError unless the stored version equals this one. */
  ifVersion?: number;
}

export interface QueryOptions {
  /** Only sort keys that start with this prefix. */
  prefix?: string;
  /** Sort keys >= from and <= to (inclusive); combined with prefix if both given. */
  from?: string;
  to?: string;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** Newest (highest sort key) first. */
  reverse?: boolean;
  /** Query the secondary index (gsi1pk / gsi1sk) instead of pk / sk. */
  index?: "gsi1";
}

export interface Page<T> {
  items: T[];
  /** Present when more items may follow. */
  cursor?: string;
}

export interface Store {
  get(pk: string, sk: string): Promise<Item | undefined>;
  /**
   * The live item's version without its data: lets a caller that kept a parsed copy
   * of a large, rarely changed item (a provider record) reuse it while it is current.
   */
  version(pk: string, sk: string): Promise<number | undefined>;
  /** Writes the whole item; returns it with its new version. */
  put(item: Item, options?: PutOptions): Promise<Item>;
  delete(pk: string, sk: string, options?: { ifVersion?: number }): Promise<void>;
  query(pk: string, options?: QueryOptions): Promise<Page<Item>>;
  /** A cheap round trip for health checks. */
  ping(): Promise<void>;
}

export class ConditionFailedError extends Error {
  readonly pk: string;
  readonly sk: string;

  constructor(pk: string, sk: string) {
    super(`condition failed for ${pk} / ${sk}`);
    this.pk = pk;
    this.sk = sk;
    this.name = "ConditionFailedError";
  }
}

/** A page cursor that no adapter handed out (tampered, or from another query). */
export class InvalidCursorError extends Error {
  constructor() {
    super("the page cursor is not one this API handed out; start again without it");
    this.name = "InvalidCursorError";
  }
}

// ---------------------------------------------------------------- Queue

export interface OutgoingMessage {
  body: string;
  /** 0..900 seconds, as SQS allows; longer delays are chained by the caller. */
  delaySeconds?: number;
}

export interface ReceivedMessage {
  id: string;
  receiptHandle: string;
  body: string;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
  sentAt: number;
}

export interface DeadLetter {
  id: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  /** When it was moved to the dead-letter queue (ms), where the adapter knows it. */
  deadAt?: number;
}

export interface QueueStats {
  /** Ready to be received now. */
  visible: number;
  /** Received and not yet deleted. */
  inFlight: number;
  /** Sent with a delay that has not yet passed. */
  delayed: number;
  /** In the dead-letter queue. */
  dead: number;
  /** Age of the oldest dead letter in seconds, 0 when none. */
  oldestDeadAgeSeconds: number;
}

export interface ReceiveOptions {
  max: number;
  visibilityTimeoutSeconds: number;
}

export interface Queue {
  send(queue: string, messages: OutgoingMessage[]): Promise<void>;
  receive(queue: string, options: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Delete a received message: it has been handled. */
  ack(queue: string, receiptHandle: string): Promise<void>;
  /** Make a received message visible again after `seconds` (0 = now). */
  release(queue: string, receiptHandle: string, seconds: number): Promise<void>;
  stats(queue: string): Promise<QueueStats>;
  /** A look at dead letters without consuming them. */
  peekDead(queue: string, limit: number): Promise<DeadLetter[]>;
  /**
   * Move dead letters back to their source queue with a fresh receive count.
   * `ids` limits the move to those messages. Returns how many were moved.
   */
  redrive(queue: string, options?: { ids?: string[]; max?: number }): Promise<number>;
}

/** Queue behaviour fixed at creation (the catalog's queue table). */
export interface QueueConfig {
  name: string;
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

// ---------------------------------------------------------------- Bus

export interface PublishResult {
  /** Envelopes the bus did not take; the caller must retry or keep them. */
  failed: { envelope: Envelope; reason: string }[];
}

/** Routes envelopes to the queues the event catalog names (EventBridge on AWS). */
export interface Bus {
  publish(envelopes: Envelope[]): Promise<PublishResult>;
}

// ---------------------------------------------------------------- Keyring

/** Authenticated data bound to a sealed value: tenant and record it belongs to. */
export type EncryptionContext = Record<string, string>;

/**
 * An envelope-encrypted value: a fresh data key encrypts the plaintext
 * (AES-256-GCM), the master key (local file / KMS) wraps the data key.
 */
export interface Sealed {
  v: 1;
  /** Which master key wrapped the data key. */
  kid: string;
  wrappedKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

export interface Keyring {
  seal(plaintext: string, context: EncryptionContext): Promise<Sealed>;
  open(sealed: Sealed, context: EncryptionContext): Promise<string>;
  /**
   * Re-seal under the current master key, same plaintext. The file keyring re-wraps
   * the data key only; KMS seals again under a fresh data key (KMS rotates its own
   * key material, so a new data key is what rotation means there).
   */
  rewrap(sealed: Sealed, context: EncryptionContext): Promise<Sealed>;
  currentKeyId(): Promise<string>;
  /** Start sealing under a new master key; returns its id. Old keys stay able to open. */
  rotate(): Promise<string>;
}

// ---------------------------------------------------------------- Clock

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

// ---------------------------------------------------------------- Http

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Abort after this many milliseconds; defaults to the adapter's (30 s). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
}

export class HttpTimeoutError extends Error {
  readonly url: string;
  readonly timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    super(`no answer from ${new URL(url).host} within ${timeoutMs} ms`);
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.name = "HttpTimeoutError";
  }
}

/** An answer whose body is read as it arrives (server-sent events). */
export interface HttpStream {
  status: number;
  headers: Record<string, string>;
  /** The body's bytes as they arrive; read once, either this or `text()`. */
  body: AsyncIterable<Uint8Array>;
  /** The whole body as text (for an error answer). */
  text(): Promise<string>;
  /** Until the headers arrived. */
  latencyMs: number;
}

export interface Http {
  fetch(request: HttpRequest): Promise<HttpResponse>;
  /**
   * Answers as soon as the headers are in. `timeoutMs` bounds the whole exchange,
   * body included; `signal` ends it early (the caller went away).
   */
  stream(request: HttpRequest & { signal?: AbortSignal }): Promise<HttpStream>;
}

// ---------------------------------------------------------------- Platform secrets

/** Platform-level secrets (session signing key): Secrets Manager on AWS, a file locally. */
export interface PlatformSecrets {
  get(name: string): Promise<string>;
}

// ---------------------------------------------------------------- Platform settings

/** Settings of the running deployment that domain code must respect. */
export interface PlatformConfig {
  runtime: "local" | "aws";
  /**
   * Let outgoing calls reach loopback, private and link-local addresses. Only the
   * local runtime may turn this on (SAMBUNG_ALLOW_PRIVATE_URLS), for development.
   */
  allowPrivateUrls: boolean;
  /** Where the hub is reachable from outside, for webhook URLs shown to owners. */
  publicUrl?: string;
}

// ---------------------------------------------------------------- Everything a handler gets

export interface Ports {
  config: PlatformConfig;
  store: Store;
  queue: Queue;
  bus: Bus;
  keyring: Keyring;
  clock: Clock;
  http: Http;
  secrets: PlatformSecrets;
}
