import { setDnsLookup } from "@sambung/core/outbound/url-safety";
import type { DeliveryView } from "@sambung/core/outbound/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createSubscription, ownerApi, publish, waitForDelivery, type Api } from "../support/outbound.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { startReceiver, type Receiver } from "../support/webhook-receiver.ts";

/** A hub as deployed: private URLs are not allowed (no SAMBUNG_ALLOW_PRIVATE_URLS). */

let hub: TestRuntime;
let api: Api;
let local: Receiver;
const names = new Map<string, string[]>();

beforeAll(async () => {
  hub = await startTestRuntime();
  api = ownerApi(hub);
  local = await startReceiver();
  // No network here: names resolve from this table, as the test says.
  setDnsLookup(async (hostname) => {
    const addresses = names.get(hostname);
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  });
});
afterAll(async () => {
  setDnsLookup();
  await local.close();
  await hub.close();
});

type Problem = { error: { code: string; message: string } };

async function refused(url: string): Promise<string> {
  const { status, body } = await api<Problem>("POST", "/api/admin/subscriptions", { url, eventTypes: ["*"] });
  expect(status, url).toBe(400);
  return body.error.message;
}

describe("URL safety (SSRF)", () => {
  it("refuses a loopback receiver unless the hub allows private URLs", async () => {
    const message = await refused(local.url);
    expect(message).toBe(
      "the URL points at 127.0.0.1, a loopback address; outgoing webhooks may only go to public addresses (a development hub can allow private addresses with SAMBUNG_ALLOW_PRIVATE_URLS=1)",
    );
  });

  it("refuses metadata, link-local, private, CGNAT, unspecified and multicast addresses, however they are written", async () => {
    expect(await refused("http://169.254.169.254/latest/meta-data/")).toContain("169.254.169.254, a cloud metadata address");
    expect(await refused("https://[fd00:ec2::254]/")).toContain("fd00:ec2::254, a cloud metadata address");
    expect(await refused("https://169.254.10.1/")).toContain("a link-local address");
    expect(await refused("https://[fe80::1]/")).toContain("a link-local address");
    expect(await refused("https://10.1.2.3/")).toContain("10.1.2.3, a private address");
    expect(await refused("https://172.20.0.1/")).toContain("a private address");
    expect(await refused("https://192.168.1.1/")).toContain("a private address");
    expect(await refused("https://[fc00::5]/")).toContain("a private address");
    expect(await refused("https://100.64.0.7/")).toContain("a carrier-grade NAT address");
    expect(await refused("https://0.0.0.0/")).toContain("an unspecified address");
    expect(await refused("https://224.0.0.1/")).toContain("a multicast address");
    expect(await refused("https://[::1]/")).toContain("a loopback address");
    expect(await refused("https://[::ffff:10.0.0.1]/")).toContain("a private address");
    expect(await refused("https://2130706433/")).toContain("127.0.0.1, a loopback address");
    expect(await refused("https://0x7f.1/")).toContain("127.0.0.1, a loopback address");
    expect(await refused("https://localhost:8443/")).toContain("a loopback address");
    expect(await refused("https://user:pass@hooks.example.com/")).toContain("no user name or password");
  });

  it("resolves the host name and refuses it when any address it resolves to is private", async () => {
    names.set("billing.internal.example", ["10.0.0.5"]);
    names.set("mixed.example", ["203.0.113.10", "192.168.0.9"]);
    names.set("hooks.partner.example", ["203.0.113.20", "2001:db8::20"]);
    expect(await refused("https://billing.internal.example/hooks")).toBe(
      "the URL resolves to 10.0.0.5, a private address; outgoing webhooks may only go to public addresses (a development hub can allow private addresses with SAMBUNG_ALLOW_PRIVATE_URLS=1)",
    );
    expect(await refused("https://mixed.example/hooks")).toContain("resolves to 192.168.0.9, a private address");
    expect(await refused("https://nowhere.example/hooks")).toContain("does not resolve (ENOTFOUND)");

    const ok = await createSubscription(api, { url: "https://hooks.partner.example/in", eventTypes: ["folio.closed"] });
    const patched = await api<Problem>("PATCH", `/api/admin/subscriptions/${ok.id}`, { url: "https://billing.internal.example/in" });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toContain("10.0.0.5");
    await api("DELETE", `/api/admin/subscriptions/${ok.id}`);
  });

  it("checks again at delivery time: a name that now resolves to a private address is not called", async () => {
    names.set("rebind.example", ["203.0.113.30"]);
    const sub = await createSubscription(api, { url: "https://rebind.example/hooks", eventTypes: ["folio.closed"] });
    names.set("rebind.example", ["10.0.0.9"]);
    const key = await createApiKey(api);
    const sent = await publish(hub, key, { type: "folio.closed", data: { folioId: "F-1" } });
    const failed = await waitForDelivery(api, sub.id, sent.body.id, (found: DeliveryView) => found.totalAttempts === 1 && found.status === "pending", "the refused attempt");
    expect(failed.attempts[0]).toMatchObject({ outcome: "failed" });
    expect(failed.attempts[0]?.status).toBeUndefined();
    expect(failed.attempts[0]?.error).toBe(
      "not sent: the subscription's URL resolves to 10.0.0.9, a private address; outgoing webhooks may only go to public addresses (a development hub can allow private addresses with SAMBUNG_ALLOW_PRIVATE_URLS=1)",
    );
    await api("DELETE", `/api/admin/subscriptions/${sub.id}`);
  });
});
