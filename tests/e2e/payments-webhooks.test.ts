import type { InboundWebhook } from "@sambung/core/inbound/index";
import type { Payment } from "@sambung/core/payment/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver, type Delivery } from "../fakes/gateways/server.ts";
import { createPayment, eventsFor, featureOf, getPayment, inbound, KEYS, moneyFor, startPaymentsHub, waitForStatus, type PaymentsHub, type ProviderName } from "../support/payments.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Issue #4, the inbound hub under the deliveries real gateways make: tampered
 * signatures, unreadable bodies, notifications out of order, a notification for a
 * payment not created yet (retried, dead-lettered, redriven), a status API that lags
 * its own notification (webhook.confirmWith), and reconciliation of what no webhook
 * told us. Every request that reaches a provider's URL is stored.
 */

let { hub, gateways, providers, admin, pms, receiver } = {} as PaymentsHub;
let close: PaymentsHub["close"] | undefined;
/** Requests posted to providers' webhook URLs, each of which must be stored. */
let posted = 0;

const names: ProviderName[] = ["midtrans-qris", "xendit-invoice", "doku", "ipaymu", "stripe", "omise"];
let references = 0;

function bodyFor(name: ProviderName, overrides: Record<string, unknown> = {}) {
  return { featureKey: featureOf(name), reference: `BK-${(references += 1)}`, ...moneyFor(name), customer: { name: "Wayan", email: "wayan@example.com" }, returnUrl: "https://hotel.example/thanks", ...overrides };
}

const fakeOf = (name: ProviderName) => (name.startsWith("midtrans") ? gateways.midtrans : name.startsWith("xendit") ? gateways.xendit : gateways[name as "doku" | "ipaymu" | "stripe" | "omise"]);

function counted(delivery: Delivery): Delivery {
  posted += delivery.responses.length;
  return delivery;
}

async function inboundRecord(id: string): Promise<InboundWebhook | undefined> {
  return (await inbound(admin)).find((record) => record.id === id);
}

function inboundIdOf(delivery: Delivery, index = 0): string {
  return (JSON.parse(delivery.responses[index]?.body ?? "{}") as { id: string }).id;
}

async function deadLetters(): Promise<{ dead: number; sample: { id: string; body: string }[] }> {
  const { body } = await admin<{ queues: { queue: string; dead: number; sample: { id: string; body: string }[] }[] }>("GET", "/api/admin/dlq");
  const settle = body.queues.find((queue) => queue.queue === "settle");
  if (!settle) throw new Error("no settle queue in the dead-letter summary");
  return settle;
}

/** Lets the settle worker fail an inbound webhook `maxReceiveCount` times (one visibility timeout each), then dead-letter it. */
async function retryUntilDead(inboundId: string): Promise<string> {
  const before = (await deadLetters()).dead;
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    await waitFor(async () => ((await inboundRecord(inboundId))?.attempts ?? 0) >= attempt, `settle attempt ${attempt} of ${inboundId}`);
    hub.clock.advance(61_000);
  }
  const dead = await waitFor(async () => {
    const letters = await deadLetters();
    return letters.dead > before ? letters.sample.find((letter) => letter.body.includes(inboundId)) : undefined;
  }, `${inboundId} in the dead-letter queue`);
  return dead.id;
}

async function reconcileNow(): Promise<void> {
  hub.cron.tick();
  await hub.cron.settle();
}

// The clock moves hours here: sessions are renewed as they expire.
beforeAll(async () => {
  ({ hub, gateways, providers, admin, pms, receiver, close } = await startPaymentsHub({ only: names, renewSessions: true }));
});
afterAll(() => close?.());

describe("verification", () => {
  it("answers a tampered notification 401, stores it as rejected, and still takes the genuine one", async () => {
    let stripeSignature = "";
    for (const name of names) {
      const payment = await createPayment(pms, bodyFor(name));
      const fake = fakeOf(name);
      fake.settle(payment.id);
      const tampered = counted(await fake.postWebhook(payment.id, { url: providers[name].webhookUrl, tamper: true }));
      expect(tampered.responses[0]?.status, name).toBe(401);
      if (name === "stripe") stripeSignature = tampered.headers["stripe-signature"] ?? "";
      const rejected = await inboundRecord(inboundIdOf(tampered));
      expect(rejected, name).toMatchObject({ status: "rejected", providerId: providers[name].id, body: tampered.rawBody });
      expect(rejected?.reason, name).toBeTruthy();

      // The rejected copy claimed nothing: the genuine notification is processed.
      counted(await fake.postWebhook(payment.id, { url: providers[name].webhookUrl }));
      const paid = await waitForStatus(pms, payment.id, "paid");
      expect(paid.history.map((change) => change.status), name).toEqual(["pending", "paid"]);
    }
    const listed = await inbound(admin, `status=rejected&providerId=${providers.stripe.id}`);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.headers["stripe-signature"]).toMatch(/^••••/);

    // One record by id, as the admin app's detail shows it: raw body, why it was refused, credentials masked.
    const detail = await admin<InboundWebhook>("GET", `/api/admin/webhooks/inbound/${listed[0]?.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: listed[0]?.id, status: "rejected", reason: listed[0]?.reason, body: listed[0]?.body, providerSlug: providers.stripe.slug });
    expect(detail.body.reason).toBeTruthy();
    expect(detail.body.headers["stripe-signature"]).toMatch(/^••••/);
    expect(stripeSignature).not.toBe("");
    expect(JSON.stringify(detail.body)).not.toContain(stripeSignature);
    const missing = await admin<{ error: { message: string } }>("GET", "/api/admin/webhooks/inbound/no-such-webhook");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("no-such-webhook");
  });

  it("verifies the very next notification with a provider's changed key (the parsed record is reused only while current)", async () => {
    const payment = await createPayment(pms, bodyFor("midtrans-qris"));
    gateways.midtrans.settle(payment.id);
    const path = `/api/admin/providers/${providers["midtrans-qris"].id}`;
    // Warm the lookup with the current key, then change the key: the gateway still signs with the old one.
    expect(counted(await gateways.midtrans.postWebhook(payment.id, { url: providers["midtrans-qris"].webhookUrl, tamper: true })).responses[0]?.status).toBe(401);
    expect((await admin("PATCH", path, { secrets: { serverKey: "SB-Mid-server-ROTATED0123456789abcd" } })).status).toBe(200);
    const refused = counted(await gateways.midtrans.postWebhook(payment.id, { url: providers["midtrans-qris"].webhookUrl }));
    expect(refused.responses[0]?.status).toBe(401);
    expect((await getPayment(pms, payment.id)).status).toBe("pending");

    expect((await admin("PATCH", path, { secrets: { serverKey: KEYS.midtrans } })).status).toBe(200);
    expect(counted(await gateways.midtrans.postWebhook(payment.id, { url: providers["midtrans-qris"].webhookUrl })).responses[0]?.status).toBe(200);
    await waitForStatus(pms, payment.id, "paid");
  });

  it("stores an unreadable body as malformed (400), and knows no provider behind an unknown slug (404)", async () => {
    const url = providers["xendit-invoice"].webhookUrl;
    const headers = { "content-type": "application/json", "x-callback-token": KEYS.xenditToken };
    const garbled = counted(await deliver(url, headers, "{not json"));
    expect(garbled.responses[0]?.status).toBe(400);
    const noStatus = counted(await deliver(url, headers, JSON.stringify({ id: "inv_1", external_id: "pay_x" })));
    expect(noStatus.responses[0]?.status).toBe(400);
    expect(JSON.parse(noStatus.responses[0]?.body ?? "{}").error.message).toContain("status");
    for (const delivery of [garbled, noStatus]) {
      expect(await inboundRecord(inboundIdOf(delivery))).toMatchObject({ status: "malformed", body: delivery.rawBody });
    }

    const unknown = await deliver(`${hub.url}/webhook/payment/no-such-gateway`, headers, "{}");
    expect(unknown.responses[0]?.status).toBe(404);
    const wrongType = await deliver(`${hub.url}/webhook/sms/${providers["xendit-invoice"].slug}`, headers, "{}");
    expect(wrongType.responses[0]?.status).toBe(404);
  });
});

describe("ordering", () => {
  it("moves only forward: a late 'pending' or 'expired' does not undo 'paid'", async () => {
    const intent = await createPayment(pms, bodyFor("stripe"));
    gateways.stripe.settle(intent.id);
    counted(await gateways.stripe.postWebhook(intent.id, { url: providers.stripe.webhookUrl, type: "payment_intent.succeeded" }));
    await waitForStatus(pms, intent.id, "paid");
    // Stripe does not promise order: payment_intent.created arrives last.
    const late = counted(await gateways.stripe.postWebhook(intent.id, { url: providers.stripe.webhookUrl, type: "payment_intent.created" }));
    await waitFor(async () => (await inboundRecord(inboundIdOf(late)))?.status === "processed", "the late event to be processed");
    expect(await getPayment(pms, intent.id)).toMatchObject({ status: "paid", capturedAmount: 12_550 });

    const invoice = await createPayment(pms, bodyFor("xendit-invoice"));
    gateways.xendit.settle(invoice.id);
    const paidCallback = gateways.xendit.webhook(invoice.id);
    gateways.xendit.expire(invoice.id);
    const expiredCallback = gateways.xendit.webhook(invoice.id);
    counted(await deliver(providers["xendit-invoice"].webhookUrl, paidCallback.headers, paidCallback.rawBody));
    await waitForStatus(pms, invoice.id, "paid");
    const expired = counted(await deliver(providers["xendit-invoice"].webhookUrl, expiredCallback.headers, expiredCallback.rawBody));
    await waitFor(async () => (await inboundRecord(inboundIdOf(expired)))?.status === "processed", "the expiry to be processed");
    expect((await getPayment(pms, invoice.id)).history.map((change) => change.status)).toEqual(["pending", "paid"]);

    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const payment of [intent, invoice]) {
      expect(eventsFor(receiver.received, payment.id, "payment.received")).toHaveLength(1);
      expect(eventsFor(receiver.received, payment.id, "payment.failed")).toHaveLength(0);
    }
  });

  it("a refund notification before the 'paid' one: paid, then refunded, each announced once", async () => {
    const payment = await createPayment(pms, bodyFor("stripe"));
    gateways.stripe.settle(payment.id);
    // Refunded from Stripe's dashboard: Sambung only learns it from the webhook.
    const refunded = await fetch(`${gateways.stripe.url}/v1/refunds`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.stripe}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ payment_intent: payment.gatewayTransactionId ?? "", amount: "2000" }).toString(),
    });
    expect(refunded.status).toBe(200);
    counted(await gateways.stripe.postWebhook(payment.id, { url: providers.stripe.webhookUrl, type: "charge.refunded" }));
    await waitForStatus(pms, payment.id, "partially_refunded");
    counted(await gateways.stripe.postWebhook(payment.id, { url: providers.stripe.webhookUrl, type: "payment_intent.succeeded" }));
    await waitFor(() => eventsFor(receiver.received, payment.id).length >= 2, "the two events");
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(await getPayment(pms, payment.id)).toMatchObject({ status: "partially_refunded", capturedAmount: 12_550, refundedAmount: 2_000 });
    expect(eventsFor(receiver.received, payment.id).map((event) => event.type)).toEqual(["payment.received", "payment.refunded"]);
  });

  it("a 'paid' after the payment expired cannot revive it, but is flagged for a person", async () => {
    const invoice = await createPayment(pms, bodyFor("xendit-invoice"));
    gateways.xendit.expire(invoice.id);
    counted(await gateways.xendit.postWebhook(invoice.id, { url: providers["xendit-invoice"].webhookUrl }));
    await waitForStatus(pms, invoice.id, "expired");
    gateways.xendit.settle(invoice.id);
    counted(await gateways.xendit.postWebhook(invoice.id, { url: providers["xendit-invoice"].webhookUrl }));
    const flagged = await waitFor(async () => {
      const { body } = await admin<{ items: Payment[] }>("GET", "/api/admin/payments/unreconciled");
      return body.items.find((payment) => payment.id === invoice.id);
    }, "the expired-but-paid invoice to be flagged");
    expect(flagged).toMatchObject({ status: "expired", unreconciled: { gatewayStatus: "PAID" } });
    expect(flagged.unreconciled?.reason).toContain("money may have been taken");
  });
});

describe("a notification before its payment", () => {
  /** Creates a Midtrans QRIS payment whose gateway answer is held while the gateway's notification arrives. */
  async function racedPayment(): Promise<{ finish: () => Promise<Payment>; inboundId: string; paymentId: string }> {
    const hold = gateways.midtrans.hold((request) => request.path === "/v2/charge");
    const creating = createPayment(pms, bodyFor("midtrans-qris"));
    const charge = await hold.reached;
    const paymentId = (JSON.parse(charge.rawBody) as { transaction_details: { order_id: string } }).transaction_details.order_id;
    // The guest paid within a blink; Midtrans notifies before it answered our charge request.
    gateways.midtrans.settle(paymentId);
    const delivery = counted(await gateways.midtrans.postWebhook(paymentId, { url: providers["midtrans-qris"].webhookUrl }));
    expect(delivery.responses[0]?.status).toBe(200);
    return {
      paymentId,
      inboundId: inboundIdOf(delivery),
      finish: async () => {
        hold.release();
        return creating;
      },
    };
  }

  it("is retried, ends in the dead-letter queue, and settles once redriven", async () => {
    const raced = await racedPayment();
    const letter = await retryUntilDead(raced.inboundId);
    const record = await inboundRecord(raced.inboundId);
    expect(record).toMatchObject({ status: "dead", attempts: 5 });
    expect(record?.lastError).toContain(raced.paymentId);

    const payment = await raced.finish();
    expect(payment).toMatchObject({ id: raced.paymentId, status: "pending" });
    const redriven = await admin<{ moved: number }>("POST", "/api/admin/dlq/settle/redrive", { ids: [letter] });
    expect(redriven.body.moved).toBe(1);
    const paid = await waitForStatus(pms, payment.id, "paid");
    expect(paid.history.map((change) => `${change.status}/${change.source}`)).toEqual(["pending/create", "paid/webhook"]);
    expect(await inboundRecord(raced.inboundId)).toMatchObject({ status: "processed", attempts: 6, paymentId: payment.id });
    await waitFor(() => eventsFor(receiver.received, payment.id, "payment.received").length === 1, "one payment.received");
  });

  it("or is replayed from the inbound list", async () => {
    const raced = await racedPayment();
    await retryUntilDead(raced.inboundId);
    const payment = await raced.finish();
    const replay = await admin<InboundWebhook>("POST", `/api/admin/webhooks/inbound/${raced.inboundId}/replay`);
    expect(replay.status).toBe(202);
    await waitForStatus(pms, payment.id, "paid");
    await waitFor(() => eventsFor(receiver.received, payment.id, "payment.received").length === 1, "one payment.received");

    // Replaying again changes nothing; a rejected request cannot be replayed at all.
    expect((await admin("POST", `/api/admin/webhooks/inbound/${raced.inboundId}/replay`)).status).toBe(202);
    const rejected = (await inbound(admin, "status=rejected"))[0];
    const refused = await admin<{ error: { message: string } }>("POST", `/api/admin/webhooks/inbound/${rejected?.id}/replay`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("rejected");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(eventsFor(receiver.received, payment.id, "payment.received")).toHaveLength(1);
  });
});

describe("webhook.confirmWith: status", () => {
  it("asks the gateway before trusting a notification, and waits while its status API lags", async () => {
    const payment = await createPayment(pms, bodyFor("midtrans-qris"));
    const tx = gateways.midtrans.find(payment.id);
    if (!tx) throw new Error("the fake has no transaction");
    gateways.midtrans.settle(payment.id);
    const notification = gateways.midtrans.webhook(payment.id);
    tx.status = "pending";
    const statusCalls = () => gateways.midtrans.requests.filter((request) => request.method === "GET" && request.path === `/v2/${tx.transactionId}/status`).length;

    const delivery = counted(await deliver(providers["midtrans-qris"].webhookUrl, notification.headers, notification.rawBody));
    expect(delivery.responses[0]?.status).toBe(200);
    const waiting = await waitFor(async () => {
      const record = await inboundRecord(inboundIdOf(delivery));
      return record?.status === "failed" ? record : undefined;
    }, "the unconfirmed notification to wait");
    expect(waiting.lastError).toContain("still says pending");
    expect(statusCalls()).toBe(1);
    expect((await getPayment(pms, payment.id)).status).toBe("pending");

    tx.status = "settlement";
    hub.clock.advance(61_000);
    const paid = await waitForStatus(pms, payment.id, "paid");
    expect(paid.rawStatus).toBe("settlement");
    expect(statusCalls()).toBe(2);
    expect(await inboundRecord(inboundIdOf(delivery))).toMatchObject({ status: "processed", attempts: 2 });
    await waitFor(() => eventsFor(receiver.received, payment.id, "payment.received").length === 1, "one payment.received");
  });
});

describe("reconciliation", () => {
  it("keeps the gateway id a webhook brings (iPaymu's trx_id) and asks the status API with it", async () => {
    const payment = await createPayment(pms, bodyFor("ipaymu", { expiresAt: new Date(hub.clock.now() + 30 * 60_000).toISOString() }));
    const session = payment.gatewayTransactionId;
    const trx = String(gateways.ipaymu.find(payment.id).trxId);
    expect(session).not.toBe(trx);
    // The guest opened the page: iPaymu's pending callback carries its trx_id.
    const pending = counted(await gateways.ipaymu.postWebhook(payment.id, { url: providers.ipaymu.webhookUrl }));
    await waitFor(async () => (await inboundRecord(inboundIdOf(pending)))?.status === "processed", "the pending callback");
    expect(await getPayment(pms, payment.id)).toMatchObject({ status: "pending", gatewayTransactionId: trx });

    // The paid callback never comes; reconciliation asks iPaymu by trx_id (the session id is "not found" there).
    gateways.ipaymu.settle(payment.id);
    hub.clock.advance(31 * 60_000);
    await reconcileNow();
    const paid = await getPayment(pms, payment.id);
    expect(paid).toMatchObject({ status: "paid", capturedAmount: 150_000 });
    expect(paid.history.at(-1)?.source).toBe("reconciliation");
    const check = gateways.ipaymu.requests.filter((request) => request.path === "/api/v2/transaction").at(-1);
    expect(JSON.parse(check?.rawBody ?? "{}")).toEqual({ transactionId: trx });
  });

  it("settles what the gateway settled without telling us, and flags an amount that disagrees", async () => {
    const expiresAt = new Date(hub.clock.now() + 10 * 60_000).toISOString();
    const settled = await createPayment(pms, bodyFor("xendit-invoice", { expiresAt }));
    const short = await createPayment(pms, bodyFor("xendit-invoice", { expiresAt }));
    const fresh = await createPayment(pms, bodyFor("xendit-invoice", { expiresAt: new Date(hub.clock.now() + 3 * 3_600_000).toISOString() }));
    gateways.xendit.settle(settled.id);
    const invoice = gateways.xendit.find(short.id) as { amount: number };
    invoice.amount = 140_000;
    gateways.xendit.settle(short.id);
    gateways.xendit.settle(fresh.id);

    hub.clock.advance(11 * 60_000);
    await reconcileNow();
    const paid = await getPayment(pms, settled.id);
    expect(paid).toMatchObject({ status: "paid", capturedAmount: 150_000 });
    expect(paid.history.at(-1)?.source).toBe("reconciliation");
    await waitFor(() => eventsFor(receiver.received, settled.id, "payment.received").length === 1, "payment.received after reconciliation");
    // Not past its expiry yet: not asked about.
    expect((await getPayment(pms, fresh.id)).status).toBe("pending");

    const { body } = await admin<{ items: Payment[] }>("GET", "/api/admin/payments/unreconciled");
    const flagged = body.items.find((payment) => payment.id === short.id);
    expect(flagged).toMatchObject({ status: "pending", unreconciled: { gatewayStatus: "PAID" } });
    expect(flagged?.unreconciled?.reason).toContain("140000");
    expect(body.items.some((payment) => payment.id === settled.id)).toBe(false);
  });

  it("reads the gateway's own expiry format, and leaves a payment without one alone for the record's default window", async () => {
    const at = hub.clock.now();
    // Midtrans answers expiry_time as "YYYY-MM-DD HH:mm:ss" in GMT+7; the fake's is 24 hours on.
    const qris = await createPayment(pms, bodyFor("midtrans-qris"));
    expect(qris.expiresAt).toBe(new Date(Math.floor((at + 24 * 3_600_000) / 1000) * 1000).toISOString());

    // Stripe names no expiry: reconciliation leaves the payment alone for the default 24 hours.
    const open = await createPayment(pms, bodyFor("stripe"));
    expect(open.expiresAt).toBeUndefined();
    const asked = () => gateways.stripe.requests.filter((request) => request.method === "GET" && request.path.includes(open.gatewayTransactionId ?? "?")).length;
    const flaggedNow = async () => (await admin<{ items: Payment[] }>("GET", "/api/admin/payments/unreconciled")).body.items.find((payment) => payment.id === open.id);
    hub.clock.advance(2 * 3_600_000);
    await reconcileNow();
    expect(asked()).toBe(0);
    expect(await flaggedNow()).toBeUndefined();

    // An hour past that window and still pending at Stripe: now a person is asked to look.
    hub.clock.advance(23 * 3_600_000 + 60_000);
    await reconcileNow();
    expect(asked()).toBeGreaterThan(0);
    expect((await flaggedNow())?.unreconciled?.reason).toContain("default expiry window");
  });
});

describe("the record of everything", () => {
  it("stores every request that reached a provider's webhook URL", async () => {
    const stored = (await inbound(admin)).filter((record) => Object.values(providers).some((provider) => provider.id === record.providerId));
    expect(stored).toHaveLength(posted);
    expect(stored.every((record) => record.status !== "received")).toBe(true);
  });
});
