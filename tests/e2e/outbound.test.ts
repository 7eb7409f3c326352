import type { CatalogEntry } from "@sambung/core/event/describe";
import type { AuditEntry } from "@sambung/core/audit/index";
import type { DeliveryView, SubscriptionView } from "@sambung/core/outbound/index";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { nth, publish, useOutboundHub, verifyStandard, waitForDelivery } from "../support/outbound.ts";
import { call, signIn } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

const hub = useOutboundHub();
const { api, receiver, subscribe } = hub;

type Problem = { error: { code: string; message: string; issues?: { path: string; message: string }[] } };

describe("the event catalog", () => {
  it("publishes every type with the JSON Schema of its data", async () => {
    const { status, body } = await api<{ items: CatalogEntry[] }>("GET", "/api/admin/events/catalog");
    expect(status).toBe(200);
    const types = body.items.map((entry) => entry.type);
    for (const type of [
      "reservation.created",
      "reservation.modified",
      "reservation.cancelled",
      "reservation.checked_in",
      "reservation.checked_out",
      "reservation.overbooked",
      "payment.received",
      "payment.failed",
      "payment.refunded",
      "folio.closed",
      "room.status_changed",
      "sale.created",
      "sale.completed",
      "sale.refunded",
      "product.created",
      "product.updated",
      "inventory.updated",
      "provider.test_failed",
      "provider.circuit_opened",
      "provider.circuit_closed",
      "provider.alerting",
      "subscription.disabled",
    ]) {
      expect(types).toContain(type);
    }
    const created = body.items.find((entry) => entry.type === "reservation.created");
    expect(created).toMatchObject({ publishable: true, subscribable: true });
    expect(created?.schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      required: ["reservationId"],
      properties: { reservationId: { type: "string" } },
    });
    const payment = body.items.find((entry) => entry.type === "payment.received");
    expect(payment?.schema).toMatchObject({ required: expect.arrayContaining(["paymentId", "amount", "currency"]) });
    expect(body.items.find((entry) => entry.type === "provider.circuit_opened")).toMatchObject({ publishable: false, subscribable: true });
  });
});

describe("POST /api/v1/events", () => {
  it("rejects an unknown type, a hub-only type and a bad payload with a 400 naming the field", async () => {
    const unknown = await publish(hub, hub.key, { type: "reservation.teleported", data: { reservationId: "r1" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.issues?.[0]?.path).toBe("body.type");
    expect(unknown.body.error?.message).toContain('unknown event type "reservation.teleported"');

    const hubOnly = await publish(hub, hub.key, { type: "provider.circuit_opened", data: { providerId: "p1" } });
    expect(hubOnly.status).toBe(400);
    expect(hubOnly.body.error?.message).toContain("raised by the hub itself");

    const missing = await publish(hub, hub.key, { type: "reservation.created", data: { guest: "Ana" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.issues?.map((issue) => issue.path)).toEqual(["body.data.reservationId"]);
    expect(missing.body.error?.message).toContain("body.data.reservationId");

    const badCurrency = await publish(hub, hub.key, { type: "payment.received", data: { paymentId: "pay_1", amount: 10, currency: "rupiah" } });
    expect(badCurrency.status).toBe(400);
    expect(badCurrency.body.error?.message).toContain("body.data.currency");
  });

  it("accepts a valid event once: the same id again is a no-op", async () => {
    const first = await publish(hub, hub.key, { type: "folio.closed", id: "pms-folio-77", data: { folioId: "F77", extra: { kept: true } } });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: "pms-folio-77", duplicate: false });
    const again = await publish(hub, hub.key, { type: "folio.closed", id: "pms-folio-77", data: { folioId: "F77" } });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
  });

  it("is for API keys with the events scope, not for sessions", async () => {
    const asUser = await api<Problem>("POST", "/api/v1/events", { type: "folio.closed", data: { folioId: "F1" } });
    expect(asUser.status).toBe(403);
    const { body: other } = await api<{ key: string }>("POST", "/api/admin/api-keys", { name: "payments only", scopes: ["payments"] });
    const wrongScope = await publish(hub, other.key, { type: "folio.closed", data: { folioId: "F1" } });
    expect(wrongScope.status).toBe(403);
  });
});

describe("subscriptions", () => {
  it("shows the signing secret once, masked afterwards, and audits every change", async () => {
    const target = await receiver();
    const created = await subscribe({ url: target.url, eventTypes: ["payment.*", "folio.closed"], description: "accounting" });
    expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(created.signingSecret.slice(6), "base64")).toHaveLength(24);
    expect(created.secret).toBe(`••••${created.signingSecret.slice(-4)}`);

    const fetched = await api<SubscriptionView>("GET", `/api/admin/subscriptions/${created.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ id: created.id, url: target.url, eventTypes: ["payment.*", "folio.closed"], active: true, ordered: false });
    expect(JSON.stringify(fetched.body)).not.toContain(created.signingSecret.slice(6, 20));
    const listed = await api<{ items: SubscriptionView[] }>("GET", "/api/admin/subscriptions");
    expect(listed.body.items.map((item) => item.id)).toContain(created.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.signingSecret.slice(6, 20));

    const patched = await api<SubscriptionView>("PATCH", `/api/admin/subscriptions/${created.id}`, { description: "finance", rateLimitPerSecond: 5 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: "finance", rateLimitPerSecond: 5 });

    const rotated = await api<{ signingSecret: string; secret: string; previousSecrets: { secret: string }[] }>(
      "POST",
      `/api/admin/subscriptions/${created.id}/rotate-secret`,
      { overlapHours: 1 },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.signingSecret).not.toBe(created.signingSecret);
    expect(rotated.body.previousSecrets).toEqual([{ secret: created.secret, expiresAt: expect.any(String) }]);

    const audit = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=200");
    const actions = audit.body.items.filter((entry) => entry.target === created.id).map((entry) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(["subscription.created", "subscription.updated", "subscription.secret_rotated"]));
    expect(audit.body.items.find((entry) => entry.action === "subscription.updated" && entry.target === created.id)?.changed).toEqual(["description", "rateLimitPerSecond"]);
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.signingSecret.slice(6, 20));

    const removed = await api("DELETE", `/api/admin/subscriptions/${created.id}`);
    expect(removed.status).toBe(204);
    expect((await api("GET", `/api/admin/subscriptions/${created.id}`)).status).toBe(404);
    const afterDelete = await api<{ items: AuditEntry[] }>("GET", "/api/admin/audit?limit=200");
    expect(afterDelete.body.items.filter((entry) => entry.target === created.id).map((entry) => entry.action)).toContain("subscription.deleted");
  });

  it("validates event types against the catalog and the URL's scheme", async () => {
    const target = await receiver();
    const unknown = await api<Problem>("POST", "/api/admin/subscriptions", { url: target.url, eventTypes: ["payment.*", "reservation.teleported"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues?.[0]).toMatchObject({ path: "body.eventTypes.1", message: expect.stringContaining("reservation.teleported") });
    const family = await api<Problem>("POST", "/api/admin/subscriptions", { url: target.url, eventTypes: ["nothing.*"] });
    expect(family.status).toBe(400);
    const halfWild = await api<Problem>("POST", "/api/admin/subscriptions", { url: target.url, eventTypes: ["pay*"] });
    expect(halfWild.status).toBe(400);
    const ftp = await api<Problem>("POST", "/api/admin/subscriptions", { url: "ftp://example.com/in", eventTypes: ["*"] });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error.message).toContain("https://");
    const noTypes = await api<Problem>("PATCH", `/api/admin/subscriptions/sub_nope`, {});
    expect(noTypes.status).toBe(400);
  });

  it("keeps tenants apart: another tenant's subscription and deliveries are not found", async () => {
    const target = await receiver();
    const mine = await subscribe({ url: target.url, eventTypes: ["sale.*"] });
    const sent = await publish(hub, hub.key, { type: "sale.created", data: { saleId: "S-1" } });
    const delivery = await waitForDelivery(api, mine.id, sent.body.id, (found) => found.status === "delivered", "the sale to be delivered");

    const other = await api<{ tenant: { id: string } }>("POST", "/api/admin/tenants", {
      name: "Other Resort",
      owner: { email: "owner@other.example", password: "another long password" },
    });
    expect(other.status).toBe(201);
    const token = await signIn(hub.url, { email: "owner@other.example", password: "another long password" });
    const asOther = <T>(method: string, path: string, body?: unknown) => call<T>(hub.url, method, path, body, { authorization: `Bearer ${token}` });

    expect((await asOther("GET", `/api/admin/subscriptions/${mine.id}`)).status).toBe(404);
    expect((await asOther("PATCH", `/api/admin/subscriptions/${mine.id}`, { active: false })).status).toBe(404);
    expect((await asOther("POST", `/api/admin/subscriptions/${mine.id}/rotate-secret`, {})).status).toBe(404);
    expect((await asOther("DELETE", `/api/admin/subscriptions/${mine.id}`)).status).toBe(404);
    expect((await asOther<{ items: unknown[] }>("GET", "/api/admin/subscriptions")).body.items).toEqual([]);
    expect((await asOther("GET", `/api/admin/deliveries/${delivery.id}`)).status).toBe(404);
    expect((await asOther("POST", `/api/admin/deliveries/${delivery.id}/redrive`)).status).toBe(404);
    expect((await asOther<{ items: unknown[] }>("GET", "/api/admin/deliveries")).body.items).toEqual([]);
    // Still there for its owner.
    expect((await api<SubscriptionView>("GET", `/api/admin/subscriptions/${mine.id}`)).body.active).toBe(true);
  });
});

describe("signed delivery", () => {
  it("POSTs {type, id, occurredAt, data} signed per Standard Webhooks, verifiable with standardwebhooks and svix", async () => {
    const target = await receiver();
    const sub = await subscribe({ url: target.url, eventTypes: ["reservation.*"] });
    const sent = await publish(hub, hub.key, {
      type: "reservation.created",
      data: { reservationId: "R-100", arrival: "2026-03-01", guest: { name: "Ana" } },
      occurredAt: "2026-02-01T10:00:00+07:00",
    });
    expect(sent.status).toBe(202);
    const delivery = await waitForDelivery(api, sub.id, sent.body.id, (found) => found.status === "delivered", "the delivery");
    expect(target.received).toHaveLength(1);
    const request = nth(target.received, 0);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-id"]).toBe(delivery.id);
    expect(request.headers["webhook-timestamp"]).toBe(String(Math.floor(hub.clock.now() / 1000)));
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(request.headers["x-hotel-event"]).toBe("reservation.created");
    expect(request.headers["x-hotel-idempotency-key"]).toBe(sent.body.id);

    const payload = verifyStandard(sub.signingSecret, request, hub.clock.now());
    expect(payload).toEqual({
      type: "reservation.created",
      id: sent.body.id,
      occurredAt: "2026-02-01T03:00:00.000Z",
      data: { reservationId: "R-100", arrival: "2026-03-01", guest: { name: "Ana" } },
    });
    // The same request through svix's verifier (it reads the webhook-* headers too).
    expect(new SvixWebhook(sub.signingSecret).verify(request.body, request.headers)).toEqual(payload);
    // A tampered body or another secret does not verify.
    expect(() => new StandardWebhook(sub.signingSecret).verify(request.body.replace("R-100", "R-101"), request.headers)).toThrow();
    expect(() => new StandardWebhook(`whsec_${Buffer.alloc(24, 1).toString("base64")}`).verify(request.body, request.headers)).toThrow();

    const detail = await api<DeliveryView>("GET", `/api/admin/deliveries/${delivery.id}`);
    expect(detail.body).toMatchObject({
      status: "delivered",
      webhookId: delivery.id,
      eventType: "reservation.created",
      attempts: [{ n: 1, outcome: "delivered", status: 200, response: '{"ok":true}' }],
      payload,
    });
    expect(detail.body.attempts[0]?.latencyMs).toBeGreaterThan(0);

    // A type it does not subscribe to is not delivered.
    await publish(hub, hub.key, { type: "sale.created", data: { saleId: "S-9" } });
    const again = await publish(hub, hub.key, { type: "reservation.cancelled", data: { reservationId: "R-100" } });
    await waitForDelivery(api, sub.id, again.body.id, (found) => found.status === "delivered", "the cancellation");
    expect(target.received.map((received) => received.headers["x-hotel-event"])).toEqual(["reservation.created", "reservation.cancelled"]);
  });

  it("signs with both secrets during a rotation's overlap, and with the new one only after it", async () => {
    const target = await receiver();
    const sub = await subscribe({ url: target.url, eventTypes: ["room.status_changed"] });
    const rotated = await api<{ signingSecret: string }>("POST", `/api/admin/subscriptions/${sub.id}/rotate-secret`, { overlapHours: 2 });
    const newSecret = rotated.body.signingSecret;

    const during = await publish(hub, hub.key, { type: "room.status_changed", data: { roomId: "101", status: "clean" } });
    await waitForDelivery(api, sub.id, during.body.id, (found) => found.status === "delivered", "delivery during the overlap");
    const first = nth(target.received, -1);
    expect(first.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(verifyStandard(sub.signingSecret, first, hub.clock.now())).toMatchObject({ id: during.body.id });
    expect(verifyStandard(newSecret, first, hub.clock.now())).toMatchObject({ id: during.body.id });

    hub.clock.advance(2 * 3_600_000 + 1000);
    const after = await publish(hub, hub.key, { type: "room.status_changed", data: { roomId: "101", status: "occupied" } });
    await waitForDelivery(api, sub.id, after.body.id, (found) => found.status === "delivered", "delivery after the overlap");
    const second = nth(target.received, -1);
    expect(second.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(verifyStandard(newSecret, second, hub.clock.now())).toMatchObject({ id: after.body.id });
    expect(() => verifyStandard(sub.signingSecret, second, hub.clock.now())).toThrow(/signature/);
    const view = await api<SubscriptionView>("GET", `/api/admin/subscriptions/${sub.id}`);
    expect(view.body.previousSecrets).toEqual([]);
    expect(view.body.secret).toBe(`••••${newSecret.slice(-4)}`);
  });

  it("does not deliver to an inactive subscription, and delivers again once it is active", async () => {
    const target = await receiver();
    const sub = await subscribe({ url: target.url, eventTypes: ["inventory.updated"], active: false });
    const skipped = await publish(hub, hub.key, { type: "inventory.updated", data: { productId: "P1", quantity: 3 } });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(target.received).toHaveLength(0);
    await api("PATCH", `/api/admin/subscriptions/${sub.id}`, { active: true });
    const sent = await publish(hub, hub.key, { type: "inventory.updated", data: { productId: "P1", quantity: 2 } });
    await waitFor(() => target.received.length === 1, "the delivery after enabling");
    expect(JSON.parse(nth(target.received, 0).body)).toMatchObject({ id: sent.body.id });
    expect(JSON.parse(nth(target.received, 0).body).id).not.toBe(skipped.body.id);
  });
});
