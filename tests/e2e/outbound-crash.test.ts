import type { DeliveryView } from "@sambung/core/outbound/index";
import { afterAll, describe, expect, it } from "vitest";
import { nth, verifyStandard } from "../support/outbound.ts";
import { call, signIn, spawnRuntime, tempDir } from "../support/runtime.ts";
import { startReceiver } from "../support/webhook-receiver.ts";
import { waitFor } from "../support/wait.ts";

const data = tempDir("sambung-outbound-crash-");
afterAll(() => data.remove());

const PRIVATE = { SAMBUNG_ALLOW_PRIVATE_URLS: "1" };

describe("npm start's process delivering webhooks", () => {
  it("loses no delivery when killed between attempts: after a restart the retry goes out with the same webhook-id", async () => {
    const target = await startReceiver((_, count) => (count === 1 ? 503 : 200));
    const first = await spawnRuntime(data.path, PRIVATE);
    const token = await signIn(first.url);
    const admin = <T>(url: string, method: string, path: string, body?: unknown) => call<T>(url, method, path, body, { authorization: `Bearer ${token}` });

    const key = await admin<{ key: string }>(first.url, "POST", "/api/admin/api-keys", { name: "PMS", scopes: ["events"] });
    const sub = await admin<{ id: string; signingSecret: string }>(first.url, "POST", "/api/admin/subscriptions", {
      url: target.url,
      eventTypes: ["payment.*"],
    });
    expect(sub.status).toBe(201);
    const sent = await call<{ id: string }>(
      first.url,
      "POST",
      "/api/v1/events",
      { type: "payment.refunded", data: { paymentId: "pay_9", amount: 5000, currency: "IDR" } },
      { authorization: `Bearer ${key.body.key}` },
    );
    expect(sent.status).toBe(202);

    // The first attempt failed and the retry is scheduled 1 s out: kill -9 now.
    const pending = await waitFor(async () => {
      const { body } = await admin<{ items: DeliveryView[] }>(first.url, "GET", `/api/admin/deliveries?subscriptionId=${sub.body.id}`);
      const found = body.items[0];
      return found?.status === "pending" && found.totalAttempts === 1 ? found : undefined;
    }, "the first attempt to fail");
    first.process.kill("SIGKILL");
    expect(await first.exited).toBe(null);
    expect(target.received).toHaveLength(1);

    const second = await spawnRuntime(data.path, PRIVATE);
    const delivered = await waitFor(
      async () => {
        const { body } = await admin<DeliveryView>(second.url, "GET", `/api/admin/deliveries/${pending.id}`);
        return body.status === "delivered" ? body : undefined;
      },
      "the retry after the restart",
      20_000,
    );
    expect(delivered.attempts.map((attempt) => attempt.status)).toEqual([503, 200]);
    expect(target.received).toHaveLength(2);
    expect(target.received[1]?.headers["webhook-id"]).toBe(target.received[0]?.headers["webhook-id"]);
    expect(verifyStandard(sub.body.signingSecret, nth(target.received, 1))).toMatchObject({ id: sent.body.id, type: "payment.refunded" });

    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    await target.close();
  });
});
