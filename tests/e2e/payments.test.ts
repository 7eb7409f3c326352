import type { Payment } from "@sambung/core/payment/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createApiKey, createPayment, eventsFor, featureOf, getPayment, idemKey, inbound, moneyFor, startPaymentsHub, waitForStatus, type PaymentsHub, type ProviderName } from "../support/payments.ts";
import { call } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Issue #4 over real HTTP on the local runtime: the owner's PMS creates payments with
 * an API key through every payment format, each provider registered from its preset and
 * pointed at a simulated gateway; the gateways post their signed webhooks back.
 */

let { hub, gateways, providers, admin, pms, receiver } = {} as PaymentsHub;
let close: PaymentsHub["close"] | undefined;

const guest = { name: "Budi Santoso", email: "budi@example.com", phone: "+628123456789" };
let references = 0;
const reference = () => `BOOKING-${Date.now().toString(36)}-${(references += 1)}`;

/** A valid request for the provider's feature, in a currency it takes. */
function bodyFor(name: ProviderName, overrides: Record<string, unknown> = {}) {
  return { featureKey: featureOf(name), reference: reference(), ...moneyFor(name), customer: guest, returnUrl: "https://hotel.example/thanks", ...overrides };
}

beforeAll(async () => {
  ({ hub, gateways, providers, admin, pms, receiver, close } = await startPaymentsHub());
});
afterAll(() => close?.());

describe("creating payments with an API key", () => {
  it("goes through each of the six formats and hands back what the format yields", async () => {
    const made = Object.fromEntries(
      await Promise.all((Object.keys(providers) as ProviderName[]).map(async (name) => [name, await createPayment(pms, bodyFor(name))] as const)),
    ) as Record<ProviderName, Payment>;

    for (const [name, payment] of Object.entries(made)) {
      expect(payment, name).toMatchObject({ status: "pending", providerId: providers[name as ProviderName].id, featureKey: featureOf(name) });
      expect(payment.id, name).toMatch(/^pay_/);
    }
    // redirect_flow: a hosted page for the guest.
    expect(made["midtrans-snap"]).toMatchObject({ format: "redirect_flow", redirectUrl: expect.stringContaining(`${gateways.midtrans.url}/snap/v4/redirection/`), token: expect.any(String) });
    expect(made["xendit-invoice"]).toMatchObject({ format: "redirect_flow", redirectUrl: `${gateways.xendit.url}/web/${made["xendit-invoice"].gatewayTransactionId}` });
    expect(made.doku).toMatchObject({ format: "redirect_flow", redirectUrl: expect.stringContaining(`${gateways.doku.url}/checkout-link-v2/`) });
    expect(made.ipaymu).toMatchObject({ format: "redirect_flow", redirectUrl: `${gateways.ipaymu.url}/payment/${made.ipaymu.gatewayTransactionId}` });
    // embed_flow: a client secret for Stripe.js.
    expect(made.stripe).toMatchObject({ format: "embed_flow", currency: "USD", clientSecret: expect.stringMatching(new RegExp(`^${made.stripe.gatewayTransactionId}_secret_`)) });
    // qris_dynamic: the QR payload to render.
    for (const name of ["midtrans-qris", "xendit-qris"] as const) expect(made[name], name).toMatchObject({ format: "qris_dynamic", qrString: expect.stringMatching(/^000201/) });
    // va_static: the account number to transfer to, and its bank.
    expect(made["midtrans-va"]).toMatchObject({ format: "va_static", vaNumber: expect.stringMatching(/^\d{14}$/), bankCode: "bni" });
    expect(made["xendit-va"]).toMatchObject({ format: "va_static", vaNumber: expect.stringMatching(/^88089999\d{6}$/), bankCode: "BNI" });
    // direct_charge: a server-side charge; a 3-D Secure card adds the page to authorise it on.
    expect(made.omise).toMatchObject({ format: "direct_charge", currency: "THB", redirectUrl: expect.stringMatching(/\/authorize$/) });
    expect(made.omise.token).toBeUndefined();
    // e_wallet_redirect: the GoPay deeplink.
    expect(made["midtrans-gopay"]).toMatchObject({ format: "e_wallet_redirect", redirectUrl: expect.stringMatching(/^https:\/\/simulator\.sandbox\.midtrans\.com\/gopay\//) });

    // Each gateway got our id as its order id and our webhook URL where it takes one per request.
    const charge = gateways.midtrans.requests.find((request) => request.path === "/v2/charge" && request.rawBody.includes(made["midtrans-qris"].id));
    expect(charge?.headers["x-override-notification"]).toBe(`${hub.url}/webhook/payment/${providers["midtrans-qris"].slug}`);
    const qr = gateways.xendit.requests.find((request) => request.path === "/qr_codes" && request.rawBody.includes(made["xendit-qris"].id));
    expect(new URLSearchParams(qr?.rawBody).get("callback_url")).toBe(`${hub.url}/webhook/payment/${providers["xendit-qris"].slug}`);
  });

  it("charges a card outright when the gateway says so (direct_charge without 3-D Secure)", async () => {
    const paid = await createPayment(pms, bodyFor("omise", { token: "tokn_test_visa_4242" }));
    expect(paid).toMatchObject({ status: "paid", capturedAmount: 100_000, rawStatus: "successful" });
    const declined = await createPayment(pms, bodyFor("omise", { token: "tokn_test_declined_1" }));
    expect(declined).toMatchObject({ status: "failed", capturedAmount: 0 });
    await waitFor(() => eventsFor(receiver.received, paid.id, "payment.received").length === 1, "payment.received for the card charge");
    await waitFor(() => eventsFor(receiver.received, declined.id, "payment.failed").length === 1, "payment.failed for the declined card");
  });

  it("is idempotent: the same key and body give the same payment, another body is refused", async () => {
    const key = idemKey();
    const body = bodyFor("xendit-invoice");
    const first = await pms<Payment>("POST", "/api/v1/payments", body, { "idempotency-key": key });
    expect(first.status).toBe(201);
    const invoicesBefore = gateways.xendit.requests.filter((request) => request.path === "/v2/invoices").length;

    const again = await pms<Payment>("POST", "/api/v1/payments", body, { "idempotency-key": key });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect(gateways.xendit.requests.filter((request) => request.path === "/v2/invoices")).toHaveLength(invoicesBefore);

    const other = await pms<{ error: { code: string; message: string } }>("POST", "/api/v1/payments", { ...body, amount: 175_000 }, { "idempotency-key": key });
    expect(other.status).toBe(409);
    expect(other.body.error.message).toContain("Idempotency-Key");

    const none = await pms<{ error: { message: string } }>("POST", "/api/v1/payments", bodyFor("xendit-invoice"));
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain("Idempotency-Key");

    // Racing retries of one request: one payment, one gateway call.
    const raceKey = idemKey();
    const raceBody = bodyFor("midtrans-qris");
    const raced = await Promise.all(Array.from({ length: 4 }, () => pms<Payment>("POST", "/api/v1/payments", raceBody, { "idempotency-key": raceKey })));
    const created = raced.filter((result) => result.status === 201 || result.status === 200);
    expect(new Set(created.map((result) => result.body.id)).size).toBe(1);
    expect(raced.every((result) => [200, 201, 409].includes(result.status))).toBe(true);
    const id = created[0]?.body.id ?? "?";
    expect(gateways.midtrans.requests.filter((request) => request.path === "/v2/charge" && request.rawBody.includes(id))).toHaveLength(1);
  });

  it("refuses bad input with a 400 that names the field", async () => {
    const post = (body: unknown) => pms<{ error: { message: string; issues?: { path: string }[] } }>("POST", "/api/v1/payments", body, { "idempotency-key": idemKey() });

    const missing = await post({ reference: "R-1", amount: 150_000, currency: "IDR" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues?.map((issue) => issue.path)).toContain("body.featureKey");

    const fractional = await post(bodyFor("midtrans-qris", { amount: 150_000.5 }));
    expect(fractional.status).toBe(400);
    expect(fractional.body.error.message).toContain("amount");
    expect(fractional.body.error.message).toContain("minor unit");

    const lowercase = await post(bodyFor("midtrans-qris", { currency: "idr" }));
    expect(lowercase.status).toBe(400);
    expect(lowercase.body.error.message).toContain("currency");

    // A currency the gateway's record does not take, and one nobody can count in.
    const usd = await post(bodyFor("midtrans-qris", { amount: 1_050, currency: "USD" }));
    expect(usd.status).toBe(400);
    expect(usd.body.error.message).toContain("USD");
    expect(usd.body.error.message).toContain("config.currencies");
    const unknown = await post(bodyFor("stripe", { currency: "XYZ" }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("XYZ");

    // Below the gateway's documented minimum (from its record): refused before calling it.
    const before = gateways.stripe.requests.length;
    const tooSmall = await post(bodyFor("stripe", { amount: 10 }));
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.body.error.message).toContain("minimum of USD 0.50");
    expect(gateways.stripe.requests).toHaveLength(before);

    // What only the gateway can refuse (a card token it does not know): 422 with its reason.
    const refused = await post(bodyFor("omise", { token: "tokn_live_unknown" }));
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("tokn_live_unknown was not found");

    const unmapped = await post(bodyFor("stripe", { featureKey: "payment.nowhere" }));
    expect(unmapped.status).toBe(400);
    expect(unmapped.body.error.message).toContain("payment.nowhere");

    const noToken = await post(bodyFor("omise", { token: undefined }));
    expect(noToken.status).toBe(400);
    expect(noToken.body.error.message).toContain("token");

    const noScope = await call<{ error: { message: string } }>(hub.url, "POST", "/api/v1/payments", bodyFor("stripe"), {
      authorization: `Bearer ${await createApiKey(admin, ["events"])}`,
      "idempotency-key": idemKey(),
    });
    expect(noScope.status).toBe(403);
  });
});

describe("gateway webhooks", () => {
  it("settle every payment exactly once, duplicates included, and every request is stored", async () => {
    const names = Object.keys(providers) as ProviderName[];
    const made = await Promise.all(names.map(async (name) => ({ name, payment: await createPayment(pms, bodyFor(name)) })));
    const fakeOf = (name: ProviderName) =>
      name.startsWith("midtrans") ? gateways.midtrans : name.startsWith("xendit") ? gateways.xendit : gateways[name as "doku" | "ipaymu" | "stripe" | "omise"];

    for (const { name, payment } of made) {
      const fake = fakeOf(name);
      fake.settle(payment.id);
      // Every gateway retries; the same notification arrives twice.
      const delivery = await fake.postWebhook(payment.id, { url: providers[name].webhookUrl, duplicate: true });
      expect(delivery.responses.map((response) => response.status), name).toEqual([200, 200]);
      expect(JSON.parse(delivery.responses[1]?.body ?? "{}"), name).toMatchObject({ received: true, duplicate: true });
    }

    for (const { name, payment } of made) {
      const paid = await waitForStatus(pms, payment.id, "paid");
      expect(paid.capturedAmount, name).toBe(payment.amount);
      expect(paid.history.map((change) => `${change.status}/${change.source}`), name).toEqual(["pending/create", "paid/webhook"]);
    }
    for (const { name, payment } of made) {
      await waitFor(() => eventsFor(receiver.received, payment.id, "payment.received").length > 0, `payment.received for ${name}`);
    }
    // Let any second delivery show itself before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const { name, payment } of made) {
      expect(eventsFor(receiver.received, payment.id, "payment.received"), name).toHaveLength(1);
      expect(eventsFor(receiver.received, payment.id, "payment.received")[0]?.data, name).toMatchObject({ paymentId: payment.id, reference: payment.reference, amount: payment.amount, status: "paid" });
    }

    const stored = await inbound(admin);
    for (const { name, payment } of made) {
      const mine = stored.filter((record) => record.providerId === providers[name].id && record.paymentId === payment.id);
      expect(mine.map((record) => record.status), name).toEqual(["processed"]);
      const duplicates = stored.filter((record) => record.providerId === providers[name].id && record.status === "duplicate" && record.eventId === mine[0]?.eventId);
      expect(duplicates, name).toHaveLength(1);
      expect(mine[0]?.body.length, name).toBeGreaterThan(10);
    }
    // Signature and token headers are stored masked, never in clear.
    const xendit = stored.find((record) => record.providerId === providers["xendit-invoice"].id);
    expect(xendit?.headers["x-callback-token"]).not.toContain("e2e-0123456789");
    expect(xendit?.headers["x-callback-token"]).toMatch(/^••••/);
  });

  it("many copies of one notification at once: one accepted, the rest duplicates", async () => {
    const payment = await createPayment(pms, bodyFor("xendit-qris"));
    gateways.xendit.settle(payment.id);
    const built = gateways.xendit.webhook(payment.id);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fetch(providers["xendit-qris"].webhookUrl, { method: "POST", headers: built.headers, body: built.rawBody }).then(async (response) => ({ status: response.status, body: (await response.json()) as { duplicate?: boolean } }))),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => !answer.body.duplicate)).toHaveLength(1);
    await waitForStatus(pms, payment.id, "paid");
    await waitFor(() => eventsFor(receiver.received, payment.id, "payment.received").length === 1, "one payment.received");
  });
});

describe("after the payment", () => {
  it("refunds in parts that add up, never beyond what was captured", async () => {
    const payment = await createPayment(pms, bodyFor("stripe"));
    const early = await pms<{ error: { message: string } }>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 1_000, reason: "too early" });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain("pending");

    gateways.stripe.settle(payment.id);
    await gateways.stripe.postWebhook(payment.id, { url: providers.stripe.webhookUrl });
    await waitForStatus(pms, payment.id, "paid");

    const first = await pms<Payment>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 2_550, reason: "minibar correction" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "partially_refunded", refundedAmount: 2_550 });
    const second = await pms<Payment>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 5_000, reason: "late check-out waived" });
    expect(second.body).toMatchObject({ status: "partially_refunded", refundedAmount: 7_550 });

    const tooMuch = await pms<{ error: { message: string } }>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 5_001, reason: "one cent too many" });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.message).toContain("at most 5000");
    const invalid = await pms<{ error: { issues: { path: string }[] } }>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: -5, reason: "" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(["body.amount", "body.reason"]));

    const last = await pms<Payment>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 5_000, reason: "guest cancelled the stay" });
    expect(last.body).toMatchObject({ status: "refunded", refundedAmount: 12_550, capturedAmount: 12_550 });
    expect(last.body.refunds.map((refund) => [refund.amount, refund.status])).toEqual([
      [2_550, "succeeded"],
      [5_000, "succeeded"],
      [5_000, "succeeded"],
    ]);
    const after = await pms<{ error: { message: string } }>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 1, reason: "again" });
    expect(after.status).toBe(409);

    await waitFor(() => eventsFor(receiver.received, payment.id, "payment.refunded").length === 3, "three payment.refunded events");
    expect(eventsFor(receiver.received, payment.id, "payment.refunded").map((event) => event.data.refundedAmount)).toEqual([2_550, 7_550, 12_550]);
    // Stripe's own charge.refunded notification for what we already recorded changes nothing.
    await gateways.stripe.postWebhook(payment.id, { url: providers.stripe.webhookUrl, type: "charge.refunded" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await getPayment(pms, payment.id)).refundedAmount).toBe(12_550);
    expect(eventsFor(receiver.received, payment.id, "payment.refunded")).toHaveLength(3);
  });

  it("says clearly when the gateway cannot refund, instead of failing on our side", async () => {
    const payment = await createPayment(pms, bodyFor("midtrans-va"));
    gateways.midtrans.settle(payment.id);
    await gateways.midtrans.postWebhook(payment.id, { url: providers["midtrans-va"].webhookUrl });
    await waitForStatus(pms, payment.id, "paid");
    const refused = await pms<{ error: { code: string; message: string } }>("POST", `/api/v1/payments/${payment.id}/refund`, { amount: 1_000, reason: "x" });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("refund");
    const kept = await getPayment(pms, payment.id);
    expect(kept).toMatchObject({ status: "paid", refundedAmount: 0 });
    expect(kept.refunds.map((refund) => refund.status)).toEqual(["failed"]);
  });

  it("cancels a pending payment at the gateway, and only a pending one", async () => {
    const payment = await createPayment(pms, bodyFor("midtrans-qris"));
    const cancelled = await pms<Payment>("POST", `/api/v1/payments/${payment.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", rawStatus: "cancel" });
    expect(gateways.midtrans.find(payment.id)?.status).toBe("cancel");
    const twice = await pms<{ error: { message: string } }>("POST", `/api/v1/payments/${payment.id}/cancel`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toContain("cancelled");

    // Xendit cancels an invoice by expiring it.
    const invoice = await createPayment(pms, bodyFor("xendit-invoice"));
    const expired = await pms<Payment>("POST", `/api/v1/payments/${invoice.id}/cancel`);
    expect(expired.body).toMatchObject({ status: "expired", rawStatus: "EXPIRED" });
    await waitFor(() => eventsFor(receiver.received, invoice.id, "payment.failed").length === 1, "payment.failed for the expired invoice");
  });

  it("finds payments by id and by reference, and never another tenant's", async () => {
    const shared = reference();
    const one = await createPayment(pms, bodyFor("xendit-qris", { reference: shared }));
    const two = await createPayment(pms, bodyFor("midtrans-qris", { reference: shared }));
    expect((await getPayment(pms, one.id)).reference).toBe(shared);
    const byRef = await pms<{ items: Payment[] }>("GET", `/api/v1/payments?reference=${encodeURIComponent(shared)}`);
    expect(byRef.status).toBe(200);
    expect(byRef.body.items.map((payment) => payment.id).sort()).toEqual([one.id, two.id].sort());
    expect((await pms<{ items: Payment[] }>("GET", "/api/v1/payments?reference=NO-SUCH-BOOKING")).body.items).toEqual([]);
    expect((await pms("GET", "/api/v1/payments")).status).toBe(400);
    expect((await pms("GET", "/api/v1/payments/pay_00000000-0000-0000-0000-000000000000")).status).toBe(404);

    const tenant = await admin<{ tenant: { id: string } }>("POST", "/api/admin/tenants", { name: "Other Resort", owner: { email: "other-pay@example.com", password: "another long password" } });
    expect(tenant.status).toBe(201);
    const login = await call<{ token: string }>(hub.url, "POST", "/api/auth/login", { email: "other-pay@example.com", password: "another long password" });
    const otherPms = bearer(hub.url, await createApiKey(bearer(hub.url, login.body.token)));
    expect((await otherPms("GET", `/api/v1/payments/${one.id}`)).status).toBe(404);
    expect((await otherPms("POST", `/api/v1/payments/${one.id}/cancel`)).status).toBe(404);
    expect((await otherPms("POST", `/api/v1/payments/${one.id}/refund`, { amount: 1, reason: "x" })).status).toBe(404);
    expect((await otherPms<{ items: Payment[] }>("GET", `/api/v1/payments?reference=${encodeURIComponent(shared)}`)).body.items).toEqual([]);
    // Nor through the owner's feature: the other tenant has no provider mapped.
    const foreign = await otherPms<{ error: { message: string } }>("POST", "/api/v1/payments", bodyFor("xendit-qris"), { "idempotency-key": idemKey() });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toContain("no provider mapped");
    expect((await getPayment(pms, one.id)).status).toBe("pending");
  });
});
