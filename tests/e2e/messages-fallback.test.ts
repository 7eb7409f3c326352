import type { MessageView } from "@sambung/core/message/index";
import type { ProviderView } from "@sambung/core/provider/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetaGraphFake, startTwilioFake } from "../fakes/messaging.ts";
import { closedPortUrl } from "../fakes/server.ts";
import { apiKey, as, mapFeature, META_NUMBERS, metaWhatsapp, MSG_KEYS, provider, send, template, twilioSms, waitForMessage, type Api } from "../support/messaging.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * Fallback: a primary that did not take the message (503, 429, unreachable,
 * breaker open) hands it to the mapped fallback exactly once, on another channel
 * when the fallback serves one; an ambiguous failure never falls back.
 */

let hub: TestRuntime;
let admin: Api;
let machine: Api;
const unavailable = { status: 503, json: { code: 20503, message: "Service Unavailable", more_info: "https://www.twilio.com/docs/errors/20503", status: 503 } };
let primaryFake: Awaited<ReturnType<typeof startTwilioFake>>;
let fallbackFake: Awaited<ReturnType<typeof startTwilioFake>>;
let meta: Awaited<ReturnType<typeof startMetaGraphFake>>;
let primaryBehaviour: "503" | "500" | "ok" = "503";
let fallback: ProviderView;

const posts = (fake: { requests: { method: string }[] }) => fake.requests.filter((request) => request.method === "POST").length;

beforeAll(async () => {
  [hub, primaryFake, fallbackFake, meta] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startTwilioFake({
      accountSid: MSG_KEYS.twilioSid,
      authToken: MSG_KEYS.twilioToken,
      send: () => (primaryBehaviour === "503" ? unavailable : primaryBehaviour === "500" ? { status: 500, json: { code: 20500, message: "Internal Server Error", status: 500 } } : undefined),
    }),
    startTwilioFake({ accountSid: MSG_KEYS.fallbackSid, authToken: MSG_KEYS.fallbackToken }),
    startMetaGraphFake({
      accessToken: MSG_KEYS.metaToken,
      phoneNumbers: META_NUMBERS,
      send: () => ({ status: 503, json: { error: { message: "Service temporarily unavailable", type: "OAuthException", code: 2, is_transient: true } } }),
    }),
  ]);
  admin = as(hub.url, hub.token);
  machine = as(hub.url, await apiKey(admin, ["messages"]));
  const primary = await provider(admin, twilioSms("Twilio primary", primaryFake.url, MSG_KEYS.twilioSid, MSG_KEYS.twilioToken, { breaker: { failureThreshold: 5, openSeconds: 60 } }));
  fallback = await provider(admin, twilioSms("Twilio backup", fallbackFake.url, MSG_KEYS.fallbackSid, MSG_KEYS.fallbackToken, { from: "+15005550007" }));
  const whatsapp = await provider(admin, metaWhatsapp("WhatsApp Cloud", meta.url));
  const unreachable = await provider(admin, twilioSms("Twilio unreachable", await closedPortUrl(), MSG_KEYS.twilioSid, MSG_KEYS.twilioToken));
  await mapFeature(admin, "notify.sms", primary, fallback);
  await mapFeature(admin, "notify.guest", whatsapp, fallback);
  await mapFeature(admin, "notify.down", unreachable, fallback);
  await template(admin, { name: "checkin_code", channel: "sms", locale: "id", params: [{ name: "code" }], text: "Kode check-in {{code}}." });
  await template(admin, {
    name: "booking_confirmation",
    channel: "whatsapp",
    locale: "id",
    params: [{ name: "guestName" }],
    text: "Halo {{guestName}}, pesanan Anda terkonfirmasi.",
    whatsapp: { name: "booking_confirmation", language: "id", body: ["guestName"] },
  });
  await template(admin, { name: "booking_confirmation", channel: "sms", locale: "id", params: [{ name: "guestName" }], text: "SMS: Halo {{guestName}}, pesanan terkonfirmasi." });
});

afterAll(async () => {
  await Promise.all([primaryFake.close(), fallbackFake.close(), meta.close()]);
  await hub.close();
});

const sms = (to: string) => ({ featureKey: "notify.sms", channel: "sms", to, template: "checkin_code", locale: "id", params: { code: "7781" } });

describe("fallback", () => {
  it("sends through the fallback exactly once when the primary answers 503, and records who delivered it", async () => {
    primaryBehaviour = "503";
    const [primaryBefore, fallbackBefore] = [posts(primaryFake), posts(fallbackFake)];
    const sent = await send(machine, sms("081200000001"));
    expect(sent.status).toBe(202);
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the fallback to send");
    expect(posts(primaryFake) - primaryBefore).toBe(1);
    expect(posts(fallbackFake) - fallbackBefore).toBe(1);
    expect(fallbackFake.messages.at(-1)).toMatchObject({ to: "+6281200000001", from: "+15005550007", body: "Kode check-in 7781." });
    expect(done).toMatchObject({ providerId: fallback.id, usedFallback: true, deliveredChannel: "sms", providerMessageId: fallbackFake.messages.at(-1)?.sid });
    expect(done.attempts).toMatchObject([
      { number: 1, role: "primary", status: "failed", httpStatus: 503, delivery: "no", errorCode: "unavailable" },
      { number: 2, role: "fallback", status: "sent", providerId: fallback.id },
    ]);
  });

  it("never falls back after an ambiguous failure (500: the primary may have sent it)", async () => {
    primaryBehaviour = "500";
    const fallbackBefore = posts(fallbackFake);
    const sent = await send(machine, sms("081200000002"));
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "failed", "the message to fail");
    expect(posts(fallbackFake)).toBe(fallbackBefore);
    expect(done.attempts).toMatchObject([{ role: "primary", status: "failed", httpStatus: 500, delivery: "yes" }]);
    expect(done.error).toContain("HTTP 500");
  });

  it("falls back when the primary cannot be reached at all", async () => {
    const fallbackBefore = posts(fallbackFake);
    const sent = await send(machine, { ...sms("081200000003"), featureKey: "notify.down" });
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the fallback to send");
    expect(posts(fallbackFake) - fallbackBefore).toBe(1);
    expect(done.attempts).toMatchObject([
      { role: "primary", status: "failed", errorCode: "unreachable", delivery: "no" },
      { role: "fallback", status: "sent" },
    ]);
  });

  it("falls back from WhatsApp to SMS, rendering the SMS template of the same name", async () => {
    const fallbackBefore = posts(fallbackFake);
    const sent = await send(machine, { featureKey: "notify.guest", channel: "whatsapp", to: "081200000004", template: "booking_confirmation", locale: "id", params: { guestName: "Ayu" } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the SMS fallback to send");
    expect(meta.sent).toHaveLength(0);
    expect(posts(fallbackFake) - fallbackBefore).toBe(1);
    expect(fallbackFake.messages.at(-1)).toMatchObject({ to: "+6281200000004", body: "SMS: Halo Ayu, pesanan terkonfirmasi." });
    expect(done).toMatchObject({ channel: "whatsapp", deliveredChannel: "sms", usedFallback: true, providerId: fallback.id });
    expect(done.attempts.map((attempt) => [attempt.role, attempt.channel, attempt.status])).toEqual([
      ["primary", "whatsapp", "failed"],
      ["fallback", "sms", "sent"],
    ]);
  });

  it("skips a primary whose breaker is open and records the skip", async () => {
    primaryBehaviour = "503";
    // Five consecutive failures open this primary's breaker (config.breaker.failureThreshold).
    const sentIds: string[] = [];
    for (let index = 0; index < 5; index += 1) sentIds.push((await send(machine, sms(`08120000010${index}`))).body.id);
    for (const id of sentIds) await waitForMessage(machine, id, (message) => message.status === "sent", "the fallback to send");
    const primaryBefore = posts(primaryFake);
    const sent = await send(machine, sms("081200000111"));
    const done: MessageView = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the fallback to send");
    expect(posts(primaryFake)).toBe(primaryBefore);
    expect(done.usedFallback).toBe(true);
    expect(done.attempts.find((attempt) => attempt.role === "primary")).toMatchObject({ status: "failed", errorCode: "circuit_open", delivery: "no" });
  });
});
