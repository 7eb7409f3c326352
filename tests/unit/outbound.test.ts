import { PublishEvent, newEventId } from "@sambung/core/event/publish";
import { deliveryIdFor, deliveryIdRange, orderKey } from "@sambung/core/outbound/keys";
import { gcra } from "@sambung/core/outbound/rate-limit";
import { MAX_ATTEMPTS, queueDelaySeconds, retryDelaySeconds } from "@sambung/core/outbound/schedule";
import { generateSecret, secretKey, signatureHeader } from "@sambung/core/outbound/signing";
import { matches, patternProblem } from "@sambung/core/outbound/subscriptions";
import { addressProblem, assertPublicUrl, parseWebhookUrl } from "@sambung/core/outbound/url-safety";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";

describe("address classification", () => {
  it.each([
    ["127.0.0.1", "a loopback address"],
    ["127.255.0.9", "a loopback address"],
    ["::1", "a loopback address"],
    ["10.0.0.5", "a private address"],
    ["172.16.0.1", "a private address"],
    ["172.31.255.255", "a private address"],
    ["192.168.10.10", "a private address"],
    ["fd12:3456::1", "a private address"],
    ["169.254.1.1", "a link-local address"],
    ["fe80::abcd", "a link-local address"],
    ["100.64.0.1", "a carrier-grade NAT address"],
    ["100.127.255.254", "a carrier-grade NAT address"],
    ["0.0.0.0", "an unspecified address"],
    ["::", "an unspecified address"],
    ["224.0.0.251", "a multicast address"],
    ["ff02::1", "a multicast address"],
    ["169.254.169.254", "a cloud metadata address"],
    ["fd00:ec2::254", "a cloud metadata address"],
    ["::ffff:192.168.0.1", "a private address"],
    ["::ffff:7f00:1", "a loopback address"],
    ["64:ff9b::a9fe:a9fe", "a cloud metadata address"],
  ])("%s is %s", (address, label) => {
    expect(addressProblem(address)).toBe(label);
  });

  it.each(["93.184.216.34", "172.32.0.1", "100.128.0.1", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])("%s is public", (address) => {
    expect(addressProblem(address)).toBeUndefined();
  });
});

describe("webhook URLs", () => {
  it("needs https on AWS, allows http on the local runtime, and refuses credentials in the URL", () => {
    expect(() => parseWebhookUrl("http://hooks.example.com/", { runtime: "aws", allowPrivateUrls: false })).toThrow(/https:\/\//);
    expect(parseWebhookUrl("http://hooks.example.com/", { runtime: "local", allowPrivateUrls: false }).host).toBe("hooks.example.com");
    expect(() => parseWebhookUrl("not a url", { runtime: "local", allowPrivateUrls: false })).toThrow(/not a URL/);
    expect(() => parseWebhookUrl("https://a:b@hooks.example.com/", { runtime: "aws", allowPrivateUrls: false })).toThrow(/user name or password/);
  });

  it("skips the address check only where private URLs are allowed, and says so only on the local runtime", async () => {
    await expect(assertPublicUrl("http://127.0.0.1:9/", { config: { runtime: "local", allowPrivateUrls: true } })).resolves.toBeUndefined();
    await expect(assertPublicUrl("https://10.0.0.1/", { config: { runtime: "aws", allowPrivateUrls: false } })).rejects.toThrow(
      /^the URL points at 10\.0\.0\.1, a private address; outgoing webhooks may only go to public addresses$/,
    );
  });
});

describe("signatures", () => {
  it("are what the Standard Webhooks library computes, one v1 per secret", () => {
    const current = generateSecret();
    const previous = generateSecret();
    expect(current).toMatch(/^whsec_/);
    expect(secretKey(current)).toHaveLength(24);
    const body = JSON.stringify({ type: "folio.closed", id: "evt_1", occurredAt: "2026-01-01T00:00:00.000Z", data: { folioId: "F1" } });
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader([secretKey(current), secretKey(previous)], "dlv_1", timestamp, body);
    expect(header.split(" ")[0]).toBe(new Webhook(current).sign("dlv_1", new Date(timestamp * 1000), body));
    const headers = { "webhook-id": "dlv_1", "webhook-timestamp": String(timestamp), "webhook-signature": header };
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ id: "evt_1" });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ id: "evt_1" });
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
  });
});

describe("the retry schedule", () => {
  it("waits 1 s, 5 s, 30 s, 5 min and 1 h, with at most a tenth more in whole seconds, then gives up", () => {
    expect(MAX_ATTEMPTS).toBe(6);
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, () => 0))).toEqual([1, 5, 30, 300, 3600]);
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelaySeconds(attempt, (max) => max - 1))).toEqual([1, 5, 33, 330, 3960]);
    expect(retryDelaySeconds(6)).toBeUndefined();
    for (let i = 0; i < 200; i += 1) {
      const delay = retryDelaySeconds(5) ?? 0;
      expect(Number.isInteger(delay) && delay >= 3600 && delay <= 3960).toBe(true);
    }
  });

  it("turns a due time into a queue delay of whole seconds, chained beyond 15 minutes", () => {
    expect(queueDelaySeconds(1000, 0)).toBe(1);
    expect(queueDelaySeconds(1001, 0)).toBe(2);
    expect(queueDelaySeconds(0, 5000)).toBe(0);
    expect(queueDelaySeconds(3_600_000, 0)).toBe(900);
  });
});

describe("the per-subscription rate limit", () => {
  it("lets a second's worth through at once and gives the rest later slots, none refused", () => {
    let tat: number | undefined;
    const decisions = Array.from({ length: 6 }, () => {
      const result = gcra(tat, 0, 2);
      tat = result.tat;
      return result.decision;
    });
    expect(decisions).toEqual([
      { ok: true, at: 0 },
      { ok: true, at: 0 },
      { ok: false, at: 500 },
      { ok: false, at: 1000 },
      { ok: false, at: 1500 },
      { ok: false, at: 2000 },
    ]);
    // After a quiet spell the budget is back.
    expect(gcra(tat, 10_000, 2).decision).toEqual({ ok: true, at: 10_000 });
  });
});

describe("event type patterns", () => {
  it("accepts catalog types, families and *; matches by family", () => {
    expect(patternProblem("payment.received")).toBeUndefined();
    expect(patternProblem("payment.*")).toBeUndefined();
    expect(patternProblem("*")).toBeUndefined();
    expect(patternProblem("payment.teleported")).toContain('unknown event type "payment.teleported"');
    expect(patternProblem("diag.ping")).toContain("unknown event type");
    expect(patternProblem("nope.*")).toContain("no event type matches");
    expect(patternProblem("pay*")).toContain("a wildcard is a whole family");
    expect(matches(["payment.*"], "payment.refunded")).toBe(true);
    expect(matches(["payment.*"], "payments.refunded")).toBe(false);
    expect(matches(["sale.created", "room.status_changed"], "room.status_changed")).toBe(true);
    expect(matches(["*"], "provider.alerting")).toBe(true);
  });
});

describe("delivery ids", () => {
  it("derive from event and subscription, and sort by when the event occurred", () => {
    const a = deliveryIdFor("ten_1", "evt_a", "2026-01-01T00:00:00.000Z", "sub_1");
    expect(deliveryIdFor("ten_1", "evt_a", "2026-01-01T00:00:00.000Z", "sub_1")).toBe(a);
    expect(deliveryIdFor("ten_1", "evt_a", "2026-01-01T00:00:00.000Z", "sub_2")).not.toBe(a);
    const later = deliveryIdFor("ten_1", "evt_b", "2026-01-01T00:00:00.001Z", "sub_1");
    expect([later, a].sort()).toEqual([a, later]);
    const range = deliveryIdRange("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
    expect(a >= (range.from ?? "") && a <= (range.to ?? "")).toBe(true);
    expect(later <= (range.to ?? "")).toBe(false);
    expect(orderKey("2026-01-01T00:00:00.000Z", "evt_a") < orderKey("2026-01-01T00:00:00.000Z", "evt_b")).toBe(true);
  });

  it("the hub's event ids keep the order it accepted events in, within one millisecond too", () => {
    const ids = Array.from({ length: 50 }, () => newEventId(1_767_225_600_000));
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("published events", () => {
  it("name the failing field under data", () => {
    const result = PublishEvent.safeParse({ type: "payment.received", data: { paymentId: "p1", amount: "ten", currency: "IDR" } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["data.amount"]);
    expect(PublishEvent.safeParse({ type: "room.status_changed", data: { roomId: "101", status: "dirty", floor: 1 } }).success).toBe(true);
  });
});
