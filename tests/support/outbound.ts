import type { DeliveryView, SubscriptionView } from "@sambung/core/outbound/index";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll } from "vitest";
import { call, signIn, startTestRuntime, type TestRuntime } from "./runtime.ts";
import { startReceiver, type Received, type Receiver } from "./webhook-receiver.ts";
import { waitFor } from "./wait.ts";

export type Api = TestRuntime["api"];

export interface CreatedSubscription extends SubscriptionView {
  signingSecret: string;
}

/** Calls the hub as its owner, signing in again when the test's clock has outrun the session. */
export function ownerApi(hub: TestRuntime): Api {
  let token = hub.token;
  let signedAt = hub.clock.now();
  return async (method, path, body, headers = {}) => {
    if (hub.clock.now() - signedAt > 30 * 60_000) {
      token = await signIn(hub.url);
      signedAt = hub.clock.now();
    }
    return call(hub.url, method, path, body, { authorization: `Bearer ${token}`, ...headers });
  };
}

/** A hub for a suite of outbound tests, with an events API key; `receiver` and `subscribe` clean up after themselves. */
export interface OutboundHub extends Pick<TestRuntime, "url" | "clock" | "ports"> {
  readonly key: string;
  api: Api;
  /** A receiver closed when the suite ends. */
  receiver(respond?: Receiver["respond"]): Promise<Receiver>;
  /** A subscription deleted after the test, so the next test's events reach only its own. */
  subscribe(body: Record<string, unknown>): Promise<CreatedSubscription>;
}

/** Starts the suite's hub (private receiver URLs allowed) in `beforeAll` and registers the hooks that clean up after it. */
export function useOutboundHub(): OutboundHub {
  let runtime: TestRuntime | undefined;
  let owner: Api | undefined;
  let key: string | undefined;
  const receivers: Receiver[] = [];
  const subscriptions: string[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the outbound hub starts in beforeAll");
    return value;
  };
  const api: Api = (method, path, body, headers) => started(owner)(method, path, body, headers);

  beforeAll(async () => {
    runtime = await startTestRuntime({ allowPrivateUrls: true });
    owner = ownerApi(runtime);
    key = await createApiKey(owner);
  });
  afterEach(async () => {
    for (const id of subscriptions.splice(0)) await api("DELETE", `/api/admin/subscriptions/${id}`);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await runtime?.close();
  });

  return {
    get url() {
      return started(runtime).url;
    },
    get clock() {
      return started(runtime).clock;
    },
    get ports() {
      return started(runtime).ports;
    },
    get key() {
      return started(key);
    },
    api,
    async receiver(respond) {
      const receiver = await startReceiver(respond);
      receivers.push(receiver);
      return receiver;
    },
    async subscribe(body) {
      const created = await createSubscription(api, body);
      subscriptions.push(created.id);
      return created;
    },
  };
}

export async function createApiKey(api: Api, rateLimitPerMinute = 6000): Promise<string> {
  const { status, body } = await api<{ key: string }>("POST", "/api/admin/api-keys", { name: "PMS", scopes: ["events"], rateLimitPerMinute });
  if (status !== 201) throw new Error(`API key not created: ${status} ${JSON.stringify(body)}`);
  return body.key;
}

export async function publish(
  hub: Pick<TestRuntime, "url">,
  key: string,
  event: { type: string; data: Record<string, unknown>; id?: string; occurredAt?: string },
): Promise<{ status: number; body: { id: string; duplicate: boolean; error?: { message: string; issues?: { path: string; message: string }[] } } }> {
  return call(hub.url, "POST", "/api/v1/events", event, { authorization: `Bearer ${key}` });
}

export async function createSubscription(api: Api, body: Record<string, unknown>): Promise<CreatedSubscription> {
  const { status, body: created } = await api<CreatedSubscription>("POST", "/api/admin/subscriptions", body);
  if (status !== 201) throw new Error(`subscription not created: ${status} ${JSON.stringify(created)}`);
  return created;
}

export async function deliveriesOf(api: Api, subscriptionId: string): Promise<DeliveryView[]> {
  const { body } = await api<{ items: DeliveryView[] }>("GET", `/api/admin/deliveries?subscriptionId=${subscriptionId}&limit=200`);
  return body.items;
}

/** Waits until the subscription has a delivery for the event that satisfies `ready`. */
export async function waitForDelivery(
  api: Api,
  subscriptionId: string,
  eventId: string,
  ready: (delivery: DeliveryView) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<DeliveryView> {
  return waitFor(
    async () => {
      const found = (await deliveriesOf(api, subscriptionId)).find((delivery) => delivery.eventId === eventId);
      return found && ready(found) ? found : undefined;
    },
    what,
    timeoutMs,
  );
}

/**
 * Verifies a received delivery with the official Standard Webhooks library. Its
 * timestamp check uses Date.now, so `now` (the hub's manual clock) stands in for it.
 */
export function verifyStandard(secret: string, received: Received, now = Date.now()): unknown {
  const realNow = Date.now;
  Date.now = () => now;
  try {
    return new Webhook(secret).verify(received.body, received.headers);
  } finally {
    Date.now = realNow;
  }
}

/** Lets the worker act on whatever the clock made due: a poll interval or two of real time. */
export const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms));

/** `list.at(index)`, failing the test when there is nothing there. */
export function nth<T>(list: readonly T[], index: number): T {
  const item = list.at(index);
  if (item === undefined) throw new Error(`nothing at ${index} of ${list.length}`);
  return item;
}
