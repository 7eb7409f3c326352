import type { AuditEntry } from "@sambung/core/audit/index";
import type { QueueDeadLetters } from "@sambung/core/event/dead-letters";
import type { DeadDeliveries, DeliveryView, RedriveJob, SubscriptionView } from "@sambung/core/outbound/index";
import { describe, expect, it } from "vitest";
import { deliveriesOf, nth, publish, settle, useOutboundHub, verifyStandard, waitForDelivery } from "../support/outbound.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Delivery over real HTTP to real receivers, with the hub's clock moved by hand:
 * the retry schedule, dead deliveries and redrive, the dead-letter summary,
 * disabling on 410 and after a day of failures, the rate limit and ordering.
 */

const hub = useOutboundHub();
const { api, receiver, subscribe } = hub;

const at = (iso: string | undefined) => Date.parse(iso ?? "");

async function delivery(subscriptionId: string, eventId: string): Promise<DeliveryView> {
  const found = (await deliveriesOf(api, subscriptionId)).find((item) => item.eventId === eventId);
  if (!found) throw new Error(`no delivery of ${eventId}`);
  return found;
}

/** Waits for the delivery to have `attempts` attempts written and not be in the middle of one. */
function attempted(subscriptionId: string, eventId: string, attempts: number): Promise<DeliveryView> {
  return waitForDelivery(api, subscriptionId, eventId, (found) => found.totalAttempts === attempts && found.status !== "attempting", `attempt ${attempts}`);
}

/** Moves the clock to when the delivery's next attempt is due. */
async function toNextAttempt(current: DeliveryView): Promise<DeliveryView> {
  hub.clock.set(at(current.nextAttemptAt));
  return attempted(current.subscriptionId, current.eventId, current.totalAttempts + 1);
}

describe("retries", () => {
  it("retries 1 s, 5 s and 30 s after each failure and delivers on the 4th attempt, signed every time", async () => {
    const target = await receiver((_, count) => (count <= 3 ? 503 : 200));
    const sub = await subscribe({ url: target.url, eventTypes: ["payment.received"] });
    const sent = await publish(hub, hub.key, { type: "payment.received", data: { paymentId: "pay_1", amount: 150_000, currency: "IDR" } });

    const first = await attempted(sub.id, sent.body.id, 1);
    expect(first).toMatchObject({ status: "pending", attempts: [{ n: 1, outcome: "failed", status: 503, error: "the receiver answered 503" }] });
    const t1 = at(first.attempts[0]?.at);
    expect(at(first.nextAttemptAt) - t1).toBe(1000);

    // Not a millisecond early: the clock stops just short of the retry, then reaches it.
    const onTime = async (waitMs: number, number: number) => {
      hub.clock.advance(waitMs - 1);
      await settle();
      expect(target.received).toHaveLength(number - 1);
      hub.clock.advance(1);
      return attempted(sub.id, sent.body.id, number);
    };
    const second = await onTime(1000, 2);
    const t2 = at(second.attempts[1]?.at);
    expect(t2 - t1).toBe(1000);
    expect(second.attempts[1]?.dueAt).toBe(first.nextAttemptAt);
    expect(at(second.nextAttemptAt) - t2).toBe(5000);

    const third = await onTime(5000, 3);
    const t3 = at(third.attempts[2]?.at);
    expect(t3 - t2).toBe(5000);
    // 30 s plus a little jitter (whole seconds, at most a tenth).
    const wait = at(third.nextAttemptAt) - t3;
    expect(wait).toBeGreaterThanOrEqual(30_000);
    expect(wait).toBeLessThanOrEqual(33_000);
    expect(wait % 1000).toBe(0);

    const fourth = await toNextAttempt(third);
    expect(fourth.status).toBe("delivered");
    expect(at(fourth.attempts[3]?.at) - t3).toBe(wait);
    expect(fourth.attempts.map((attempt) => attempt.outcome)).toEqual(["failed", "failed", "failed", "delivered"]);
    expect(fourth.attempts.map((attempt) => attempt.status)).toEqual([503, 503, 503, 200]);

    // Four requests, one webhook-id, each signed for its own timestamp.
    expect(target.received).toHaveLength(4);
    expect(new Set(target.received.map((request) => request.headers["webhook-id"]))).toEqual(new Set([fourth.id]));
    for (const request of target.received) {
      expect(verifyStandard(sub.signingSecret, request, Number(request.headers["webhook-timestamp"]) * 1000)).toMatchObject({ id: sent.body.id });
    }
    expect(target.received.map((request) => Number(request.headers["webhook-timestamp"]) * 1000)).toEqual(
      fourth.attempts.map((attempt) => Math.floor(at(attempt.at) / 1000) * 1000),
    );
  });
});

describe("dead deliveries", () => {
  it("gives up after the 1 h retry, shows up in the dead-letter summary, and a redrive delivers it with the same webhook-id", async () => {
    let healthy = false;
    const target = await receiver(() => (healthy ? 200 : 500));
    const sub = await subscribe({ url: target.url, eventTypes: ["reservation.checked_in"] });
    const sent = await publish(hub, hub.key, { type: "reservation.checked_in", data: { reservationId: "R-7", roomId: "305" } });

    let current = await attempted(sub.id, sent.body.id, 1);
    const expected = [1, 5, 30, 300];
    for (const base of expected) {
      const wait = at(current.nextAttemptAt) - at(current.attempts.at(-1)?.at);
      expect(wait).toBeGreaterThanOrEqual(base * 1000);
      expect(wait).toBeLessThanOrEqual(base * 1100);
      current = await toNextAttempt(current);
    }
    expect(current.totalAttempts).toBe(5);
    const lastWait = at(current.nextAttemptAt) - at(current.attempts.at(-1)?.at);
    expect(lastWait).toBeGreaterThanOrEqual(3_600_000);
    expect(lastWait).toBeLessThanOrEqual(3_960_000);

    // An hour is longer than a queue can delay a message (15 min): the wait is chained.
    hub.clock.advance(900_000);
    await settle();
    expect((await delivery(sub.id, sent.body.id)).totalAttempts).toBe(5);
    expect((await hub.ports.queue.stats("deliver")).delayed).toBeGreaterThanOrEqual(1);
    hub.clock.advance(900_000);
    await settle();
    expect((await delivery(sub.id, sent.body.id)).totalAttempts).toBe(5);

    const dead = await toNextAttempt(current);
    expect(dead).toMatchObject({ status: "dead", totalAttempts: 6, deadReason: expect.stringContaining("gave up after 6 attempts") });
    expect(target.received).toHaveLength(6);

    // On-call view: the dead-letter summary and the filtered list.
    const dlq = await api<{ queues: QueueDeadLetters[]; deliveries: DeadDeliveries }>("GET", "/api/admin/dlq");
    expect(dlq.status).toBe(200);
    expect(dlq.body.queues.map((queue) => queue.queue)).toEqual(expect.arrayContaining(["diag", "deliver"]));
    expect(dlq.body.deliveries.dead).toBeGreaterThanOrEqual(1);
    expect(dlq.body.deliveries.sample.map((item) => item.id)).toContain(dead.id);
    expect(dlq.body.deliveries.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    const listed = await api<{ items: DeliveryView[] }>("GET", `/api/admin/deliveries?status=dead&subscriptionId=${sub.id}&event=reservation.*`);
    expect(listed.body.items.map((item) => item.id)).toEqual([dead.id]);
    expect(listed.body.items[0]?.attempts).toHaveLength(6);
    const none = await api<{ items: DeliveryView[] }>("GET", `/api/admin/deliveries?status=dead&event=payment.*&subscriptionId=${sub.id}`);
    expect(none.body.items).toEqual([]);

    healthy = true;
    const redriven = await api<DeliveryView>("POST", `/api/admin/deliveries/${dead.id}/redrive`);
    expect(redriven.status).toBe(202);
    expect(redriven.body).toMatchObject({ status: "pending", redrives: 1 });
    const delivered = await waitForDelivery(api, sub.id, sent.body.id, (found) => found.status === "delivered", "the redriven delivery");
    expect(delivered).toMatchObject({ totalAttempts: 7, redrives: 1, lastRedrive: { by: "user:owner@example.com" } });
    expect(target.received).toHaveLength(7);
    const last = nth(target.received, -1);
    expect(last.headers["webhook-id"]).toBe(target.received[0]?.headers["webhook-id"]);
    expect(last.headers["webhook-id"]).toBe(dead.id);
    expect(verifyStandard(sub.signingSecret, last, hub.clock.now())).toMatchObject({ id: sent.body.id });

    const again = await api<{ error: { message: string } }>("POST", `/api/admin/deliveries/${dead.id}/redrive`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain("only dead deliveries");
    const after = await api<{ deliveries: DeadDeliveries }>("GET", "/api/admin/dlq");
    expect(after.body.deliveries.sample.map((item) => item.id)).not.toContain(dead.id);
    const audit = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=200");
    expect(audit.body.items.some((entry) => entry.action === "delivery.redriven" && entry.target === dead.id)).toBe(true);
  });

  it("redrives in bulk with a job that reports progress, and a second run sends nothing twice", async () => {
    let healthy = false;
    const target = await receiver(() => (healthy ? 200 : 500));
    const sub = await subscribe({ url: target.url, eventTypes: ["sale.completed"] });
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push((await publish(hub, hub.key, { type: "sale.completed", data: { saleId: `S-${index}`, total: 10 } })).body.id);
    }
    // Walk all three through their six attempts together.
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const states = await Promise.all(ids.map((id) => attempted(sub.id, id, attempt)));
      if (attempt === 6) break;
      hub.clock.set(Math.max(...states.map((state) => at(state.nextAttemptAt))));
    }
    const deadNow = await api<{ items: DeliveryView[] }>("GET", `/api/admin/deliveries?status=dead&subscriptionId=${sub.id}`);
    expect(deadNow.body.items).toHaveLength(3);

    // A window that ends before these events occurred finds nothing to redrive.
    const early = await api<RedriveJob>("POST", "/api/admin/deliveries/redrive", {
      subscriptionId: sub.id,
      until: new Date(at(deadNow.body.items.at(-1)?.occurredAt) - 60_000).toISOString(),
    });
    expect(early.status).toBe(202);
    await waitFor(async () => (await api<RedriveJob>("GET", `/api/admin/deliveries/redrive/${early.body.id}`)).body.status === "done", "the empty job");

    healthy = true;
    const [one, two] = await Promise.all([
      api<RedriveJob>("POST", "/api/admin/deliveries/redrive", { subscriptionId: sub.id }),
      api<RedriveJob>("POST", "/api/admin/deliveries/redrive", { subscriptionId: sub.id }),
    ]);
    expect([one.status, two.status].sort()).toEqual(one.body.id === two.body.id ? [200, 202] : [202, 202]);
    for (const job of [one.body, two.body]) {
      await waitFor(async () => (await api<RedriveJob>("GET", `/api/admin/deliveries/redrive/${job.id}`)).body.status === "done", "the job");
    }
    const first = (await api<RedriveJob>("GET", `/api/admin/deliveries/redrive/${one.body.id}`)).body;
    const second = (await api<RedriveJob>("GET", `/api/admin/deliveries/redrive/${two.body.id}`)).body;
    expect(first).toMatchObject({ status: "done", filter: { subscriptionId: sub.id }, batch: [] });
    expect(first.finishedAt).toBeDefined();
    // However the two requests met, each dead delivery was redriven exactly once.
    expect(first.id === second.id ? first.redriven : first.redriven + second.redriven).toBe(3);
    await Promise.all(ids.map((id) => waitForDelivery(api, sub.id, id, (found) => found.status === "delivered", "redriven delivery")));

    // Running it once more finds nothing dead.
    const third = await api<RedriveJob>("POST", "/api/admin/deliveries/redrive", { subscriptionId: sub.id });
    const done = await waitFor(async () => {
      const job = (await api<RedriveJob>("GET", `/api/admin/deliveries/redrive/${third.body.id}`)).body;
      return job.status === "done" ? job : undefined;
    }, "the third job");
    expect(done.redriven).toBe(0);
    await settle();
    const successes = target.received.filter((request) => request.status === 200);
    expect(successes).toHaveLength(3);
    expect(new Set(successes.map((request) => request.headers["webhook-id"])).size).toBe(3);
    expect((await api("GET", "/api/admin/deliveries/redrive/rdj_nope")).status).toBe(404);
  });
});

describe("disabling", () => {
  it("disables a subscription whose receiver answers 410 Gone and raises subscription.disabled", async () => {
    const watcher = await receiver();
    const watch = await subscribe({ url: watcher.url, eventTypes: ["subscription.disabled"] });
    const gone = await receiver(() => 410);
    const sub = await subscribe({ url: gone.url, eventTypes: ["product.*"] });
    const sent = await publish(hub, hub.key, { type: "product.created", data: { productId: "P-1" } });

    const dead = await waitForDelivery(api, sub.id, sent.body.id, (found) => found.status === "dead", "the delivery to die");
    expect(dead).toMatchObject({ totalAttempts: 1, deadReason: expect.stringContaining("410") });
    const view = await api<SubscriptionView>("GET", `/api/admin/subscriptions/${sub.id}`);
    expect(view.body).toMatchObject({ active: false, disabledReason: "the receiver answered 410 Gone" });

    await waitFor(() => watcher.received.length === 1, "the subscription.disabled event");
    const event = verifyStandard(watch.signingSecret, nth(watcher.received, 0), hub.clock.now());
    expect(event).toMatchObject({ type: "subscription.disabled", data: { subscriptionId: sub.id, url: gone.url, reason: "the receiver answered 410 Gone" } });
    const audit = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=200");
    expect(audit.body.items.find((entry) => entry.action === "subscription.disabled" && entry.target === sub.id)?.actor).toBe("system:outbound");

    // Disabled: new events are not delivered, and a redrive says why not.
    await publish(hub, hub.key, { type: "product.updated", data: { productId: "P-1" } });
    await settle();
    expect(gone.received).toHaveLength(1);
    expect((await api("POST", `/api/admin/deliveries/${dead.id}/redrive`)).status).toBe(409);
  });

  it("disables a subscription when every delivery has failed for 24 hours", async () => {
    const watcher = await receiver();
    await subscribe({ url: watcher.url, eventTypes: ["subscription.disabled"] });
    const failing = await receiver(() => 500);
    const sub = await subscribe({ url: failing.url, eventTypes: ["sale.refunded"] });
    const sent = await publish(hub, hub.key, { type: "sale.refunded", data: { saleId: "S-55" } });
    const first = await attempted(sub.id, sent.body.id, 1);
    expect((await api<SubscriptionView>("GET", `/api/admin/subscriptions/${sub.id}`)).body.failingSince).toBe(first.attempts[0]?.at);

    // A day later (the first retry was due long ago) the next failure is the last straw.
    hub.clock.advance(24 * 3_600_000);
    await waitFor(async () => !(await api<SubscriptionView>("GET", `/api/admin/subscriptions/${sub.id}`)).body.active, "the subscription to be disabled");
    const view = await api<SubscriptionView>("GET", `/api/admin/subscriptions/${sub.id}`);
    expect(view.body.disabledReason).toBe("every delivery failed for 24 hours");
    await waitFor(() => watcher.received.some((request) => JSON.parse(request.body).data.subscriptionId === sub.id), "the event");
    expect(failing.received).toHaveLength(2);
    // Its delivery still waiting for a retry dies at that retry (to be redriven once the receiver is fixed).
    const second = await attempted(sub.id, sent.body.id, 2);
    hub.clock.set(at(second.nextAttemptAt));
    const dead = await waitForDelivery(api, sub.id, sent.body.id, (found) => found.status === "dead", "the delivery to die");
    expect(dead.deadReason).toContain("its subscription is disabled");
    expect(dead.totalAttempts).toBe(2);
    expect(failing.received).toHaveLength(2);

    // Enabled again: the streak starts over.
    const enabled = await api<SubscriptionView>("PATCH", `/api/admin/subscriptions/${sub.id}`, { active: true });
    expect(enabled.body).toMatchObject({ active: true });
    expect(enabled.body.disabledReason).toBeUndefined();
    expect(enabled.body.failingSince).toBeUndefined();
  });
});

describe("flow control", () => {
  it("holds deliveries over the rate limit for their slot instead of dropping them", async () => {
    const target = await receiver();
    const sub = await subscribe({ url: target.url, eventTypes: ["inventory.updated"], rateLimitPerSecond: 2 });
    const sent = await Promise.all(
      Array.from({ length: 6 }, (_, index) => publish(hub, hub.key, { type: "inventory.updated", data: { productId: `P-${index}`, quantity: index } })),
    );
    await waitFor(() => target.received.length >= 2, "the first two");
    await settle();
    expect(target.received).toHaveLength(2);
    hub.clock.advance(1000);
    await waitFor(() => target.received.length >= 4, "two more after a second");
    await settle();
    expect(target.received).toHaveLength(4);
    hub.clock.advance(1000);
    await waitFor(() => target.received.length >= 6, "the last two");
    await settle();
    expect(target.received).toHaveLength(6);
    const ids = new Set(target.received.map((request) => JSON.parse(request.body).id));
    expect(ids).toEqual(new Set(sent.map((result) => result.body.id)));
    for (const result of sent) {
      expect((await delivery(sub.id, result.body.id)).attempts).toHaveLength(1);
    }
  });

  it("delivers an ordered subscription strictly in order: later events wait until the earlier one succeeded", async () => {
    const target = await receiver((_, count) => (count === 1 ? 500 : 200));
    const sub = await subscribe({ url: target.url, eventTypes: ["reservation.modified"], ordered: true });
    const e1 = await publish(hub, hub.key, { type: "reservation.modified", data: { reservationId: "R-1", version: 1 } });
    await attempted(sub.id, e1.body.id, 1);
    const e2 = await publish(hub, hub.key, { type: "reservation.modified", data: { reservationId: "R-1", version: 2 } });
    const e3 = await publish(hub, hub.key, { type: "reservation.modified", data: { reservationId: "R-1", version: 3 } });
    await waitFor(async () => (await deliveriesOf(api, sub.id)).length === 3, "three deliveries");
    await settle();
    // Held behind the failed first one.
    expect(target.received).toHaveLength(1);
    expect((await delivery(sub.id, e2.body.id))).toMatchObject({ status: "pending", totalAttempts: 0 });
    expect((await delivery(sub.id, e3.body.id))).toMatchObject({ status: "pending", totalAttempts: 0 });

    hub.clock.advance(1000);
    await waitFor(() => target.received.length === 4, "all three delivered");
    expect(target.received.map((request) => JSON.parse(request.body).data.version)).toEqual([1, 1, 2, 3]);
    for (const event of [e1, e2, e3]) {
      await waitForDelivery(api, sub.id, event.body.id, (found) => found.status === "delivered", "delivered");
    }
  });
});
