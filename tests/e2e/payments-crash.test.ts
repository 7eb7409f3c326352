import type { InboundWebhook } from "@sambung/core/inbound/index";
import { afterAll, describe, expect, it } from "vitest";
import { createSubscription } from "../support/outbound.ts";
import { bearer, createApiKey, createPayment, eventsFor, featureOf, getPayment, registerProviders, startGateways, type Gateways } from "../support/payments.ts";
import { signIn, spawnRuntime, tempDir } from "../support/runtime.ts";
import { startReceiver, type Receiver } from "../support/webhook-receiver.ts";
import { waitFor } from "../support/wait.ts";

const data = tempDir("sambung-payments-crash-");
let gateways: Gateways | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await gateways?.close();
  await receiver?.close();
  data.remove();
});

const ENV = { SAMBUNG_ALLOW_PRIVATE_URLS: "1" };

describe("npm start's process settling a payment", () => {
  it("settles exactly once when killed -9 in the middle of a settlement", async () => {
    gateways = await startGateways();
    receiver = await startReceiver();
    const first = await spawnRuntime(data.path, ENV);
    const owner = bearer(first.url, await signIn(first.url));
    const providers = await registerProviders(owner, gateways, ["midtrans-qris"]);
    const key = await createApiKey(owner);
    await createSubscription(owner, { url: receiver.url, eventTypes: ["payment.*"] });

    const payment = await createPayment(bearer(first.url, key), { featureKey: featureOf("midtrans-qris"), reference: "BK-CRASH-1", amount: 450_000, currency: "IDR" });
    gateways.midtrans.settle(payment.id);
    // The worker confirms with Midtrans' status API (webhook.confirmWith): hold that answer and die waiting for it.
    const hold = gateways.midtrans.hold((request) => request.method === "GET" && request.path.endsWith("/status"));
    const delivery = await gateways.midtrans.postWebhook(payment.id, { url: providers["midtrans-qris"].webhookUrl });
    expect(delivery.responses[0]?.status).toBe(200);
    await hold.reached;
    first.process.kill("SIGKILL");
    expect(await first.exited).toBe(null);
    hold.release();

    const second = await spawnRuntime(data.path, ENV);
    try {
      const pms = bearer(second.url, key);
      const paid = await waitFor(
        async () => {
          const current = await getPayment(pms, payment.id);
          return current.status === "paid" ? current : undefined;
        },
        "the payment to settle after the restart",
        20_000,
      );
      expect(paid.history.map((change) => `${change.status}/${change.source}`)).toEqual(["pending/create", "paid/webhook"]);

      const admin = bearer(second.url, await signIn(second.url));
      const { body } = await admin<{ items: InboundWebhook[] }>("GET", "/api/admin/webhooks/inbound");
      // Stored once, processed once: the attempt the kill cut off never finished, so it is not counted.
      expect(body.items.map((record) => [record.status, record.attempts])).toEqual([["processed", 1]]);

      await waitFor(() => eventsFor(receiver?.received ?? [], payment.id, "payment.received").length > 0, "payment.received", 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(eventsFor(receiver.received, payment.id, "payment.received")).toHaveLength(1);
      // Two status calls in all: the one the crash cut off, and the one after the restart.
      expect(gateways.midtrans.requests.filter((request) => request.path.endsWith("/status"))).toHaveLength(2);
    } finally {
      second.process.kill("SIGTERM");
      await second.exited;
    }
  });
});
