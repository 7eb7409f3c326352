import type { DeliveryView, SubscriptionView } from "@sambung/core/outbound/index";
import { Webhook } from "standardwebhooks";
import { call, signIn, type TestRuntime } from "./runtime.ts";
import type { Received } from "./webhook-receiver.ts";
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
