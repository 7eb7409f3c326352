import type { InboundWebhook } from "@sambung/core/inbound/index";
import type { MessageView } from "@sambung/core/message/index";
import type { ProviderView } from "@sambung/core/provider/index";
import type { Template } from "@sambung/core/template/index";
import { simpleParser, type AddressObject } from "mailparser";
import { createHmac } from "node:crypto";
import twilio from "twilio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpFake, type SmtpFake } from "../fakes/mail.ts";
import { startMetaGraphFake, startTwilioFake } from "../fakes/messaging.ts";
import { apiKey, as, mapFeature, META_NUMBERS, metaWhatsapp, MSG_KEYS, newKey, provider, send, smtpMail, template, twilioSms, waitForMessage, type Api } from "../support/messaging.ts";
import { createSubscription, ownerApi } from "../support/outbound.ts";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";
import { startReceiver, type Receiver } from "../support/webhook-receiver.ts";

let hub: TestRuntime;
let admin: Api;
let machine: Api;
let smtp: SmtpFake;
let twilioFake: Awaited<ReturnType<typeof startTwilioFake>>;
let meta: Awaited<ReturnType<typeof startMetaGraphFake>>;
let sms: ProviderView;
let whatsapp: ProviderView;
let confirmation: Template;
/** The owner's subscriber to message.* events. */
let receiver: Receiver;
const messageEvents = (messageId: string, type?: string) =>
  receiver.received
    .map((item) => JSON.parse(item.body) as { id: string; type: string; data: Record<string, unknown> })
    .filter((event) => event.data.messageId === messageId && (!type || event.type === type));

/** Waits until the provider's two signed webhooks were processed, then checks the message is still delivered. */
async function expectStillDelivered(from: ProviderView, messageId: string, what: string): Promise<void> {
  await waitFor(async () => {
    const { body } = await admin<{ items: InboundWebhook[] }>("GET", `/api/admin/webhooks/inbound?providerId=${from.id}`);
    return body.items.filter((item) => item.status === "processed").length === 2;
  }, what);
  expect((await machine<MessageView>("GET", `/api/v1/messages/${messageId}`)).body.status).toBe("delivered");
}

beforeAll(async () => {
  [hub, smtp, twilioFake, meta, receiver] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startSmtpFake({ username: MSG_KEYS.smtpUser, password: MSG_KEYS.smtpPassword }),
    startTwilioFake({ accountSid: MSG_KEYS.twilioSid, authToken: MSG_KEYS.twilioToken }),
    startMetaGraphFake({ accessToken: MSG_KEYS.metaToken, phoneNumbers: META_NUMBERS }),
    startReceiver(),
  ]);
  admin = as(hub.url, hub.token);
  await createSubscription(admin, { url: receiver.url, eventTypes: ["message.*"] });
  machine = as(hub.url, await apiKey(admin, ["messages", "events"]));
  const mail = await provider(admin, smtpMail("Hotel mail server", smtp.port));
  sms = await provider(admin, twilioSms("Twilio SMS", twilioFake.url, MSG_KEYS.twilioSid, MSG_KEYS.twilioToken));
  whatsapp = await provider(admin, metaWhatsapp("WhatsApp Cloud", meta.url));
  await mapFeature(admin, "notify.email", mail);
  await mapFeature(admin, "notify.sms", sms);
  await mapFeature(admin, "notify.whatsapp", whatsapp);

  confirmation = await template(admin, {
    name: "booking_confirmation",
    channel: "email",
    locale: "en",
    params: [
      { name: "guestName", type: "string" },
      { name: "code", type: "string" },
      { name: "checkIn", type: "date" },
      { name: "total", type: "number", required: false },
    ],
    subject: "Booking {{code}} confirmed",
    text: "Dear {{guestName}}, see you on {{checkIn}}. Total {{total}}.",
    html: "<p>Dear <b>{{guestName}}</b>, see you on {{checkIn}}.</p>",
  });
  await template(admin, {
    name: "booking_confirmation",
    channel: "whatsapp",
    locale: "id",
    params: [
      { name: "guestName", type: "string" },
      { name: "checkIn", type: "date" },
    ],
    text: "Halo {{guestName}}, sampai jumpa {{checkIn}}.",
    whatsapp: { name: "booking_confirmation", language: "id", body: ["guestName", "checkIn"] },
  });
  await template(admin, {
    name: "checkin_code",
    channel: "sms",
    locale: "id",
    params: [
      { name: "code", type: "string" },
      { name: "room", type: "string" },
    ],
    text: "Kode check-in {{code}} untuk kamar {{room}}.",
  });
});

afterAll(async () => {
  await Promise.all([smtp.close(), twilioFake.close(), meta.close(), receiver.close()]);
  await hub.close();
});

describe("templates", () => {
  it("refuses a placeholder that is not a declared parameter, and a second template with the same name, channel and locale", async () => {
    const stray = await admin<{ error: { message: string } }>("POST", "/api/admin/templates", {
      name: "stray",
      channel: "sms",
      locale: "en",
      params: [{ name: "code" }],
      text: "Code {{code}} for {{room}}",
    });
    expect(stray.status).toBe(400);
    expect(stray.body.error.message).toContain("{{room}} is not a declared parameter");
    const again = await admin("POST", "/api/admin/templates", { name: "booking_confirmation", channel: "email", locale: "en", subject: "x", text: "y" });
    expect(again.status).toBe(409);
  });

  it("previews with HTML-escaped values in the HTML part, as written in the text part, and dates for the locale", async () => {
    const preview = await admin<{ subject: string; text: string; html: string }>("POST", `/api/admin/templates/${confirmation.id}/preview`, {
      params: { guestName: "<script>alert(1)</script> & Co", code: "BK-7", checkIn: "2025-06-01", total: 1500000 },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.subject).toBe("Booking BK-7 confirmed");
    expect(preview.body.html).toBe("<p>Dear <b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</b>, see you on June 1, 2025.</p>");
    expect(preview.body.text).toBe("Dear <script>alert(1)</script> & Co, see you on June 1, 2025. Total 1,500,000.");
  });

  it("names a missing and an extra parameter in a 400", async () => {
    const bad = await admin<{ error: { message: string; details: { issues: { path: string }[] } } }>("POST", `/api/admin/templates/${confirmation.id}/preview`, {
      params: { guestName: "Ayu", checkIn: "not a date", room: "12" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((issue) => issue.path).sort()).toEqual(["params.checkIn", "params.code", "params.room"]);
    expect(bad.body.error.message).toContain("params.code: missing");
    expect(bad.body.error.message).toContain("params.room: not a parameter of template booking_confirmation");
  });

  it("lists and changes templates; name, channel and locale stay", async () => {
    const listed = await admin<{ items: Template[] }>("GET", "/api/admin/templates?name=booking_confirmation");
    expect(listed.body.items.map((item) => `${item.channel}/${item.locale}`)).toEqual(["email/en", "whatsapp/id"]);
    const changed = await admin<Template>("PATCH", `/api/admin/templates/${confirmation.id}`, { description: "sent at booking" });
    expect(changed.status).toBe(200);
    expect(changed.body.description).toBe("sent at booking");
    expect((await admin("PATCH", `/api/admin/templates/${confirmation.id}`, { name: "other" })).status).toBe(400);
  });
});

describe("sending", () => {
  it("delivers an e-mail to a real SMTP server with From, To, Subject, the escaped HTML part and the plain-text part", async () => {
    const sent = await send(machine, {
      featureKey: "notify.email",
      channel: "email",
      to: "Guest@Example.com",
      template: "booking_confirmation",
      locale: "en",
      params: { guestName: "Tom & <Jerry>", code: "BK-42", checkIn: "2025-07-14" },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ status: "queued", to: "guest@example.com", channel: "email" });
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the e-mail to be sent");
    expect(done.attempts).toMatchObject([{ number: 1, status: "sent", role: "primary", channel: "email" }]);

    expect(smtp.messages).toHaveLength(1);
    const received = smtp.messages[0];
    expect(received?.from).toBe("stay@hotel.example");
    expect(received?.to).toEqual(["guest@example.com"]);
    const parsed = await simpleParser(received?.raw ?? "");
    expect(parsed.from?.text).toBe('"Hotel Sambung" <stay@hotel.example>');
    expect((parsed.to as AddressObject).text).toBe("guest@example.com");
    expect(parsed.subject).toBe("Booking BK-42 confirmed");
    expect(parsed.html).toContain("<p>Dear <b>Tom &amp; &lt;Jerry&gt;</b>, see you on July 14, 2025.</p>");
    expect(parsed.text?.trim()).toBe("Dear Tom & <Jerry>, see you on July 14, 2025. Total .");
    expect(parsed.messageId).toBe(`<${sent.body.id}@hotel.example>`);
    expect(smtp.logins).toContain(MSG_KEYS.smtpUser);
  });

  it("sends an approved WhatsApp template through the Cloud API; a signed statuses webhook marks it delivered", async () => {
    const sent = await send(machine, {
      featureKey: "notify.whatsapp",
      channel: "whatsapp",
      to: "0812-3456-7890",
      template: "booking_confirmation",
      locale: "id",
      params: { guestName: "Ayu", checkIn: "2025-07-14" },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body.to).toBe("+6281234567890");
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the WhatsApp message to be sent");
    expect(meta.sent).toHaveLength(1);
    const request = meta.requests.find((entry) => entry.method === "POST");
    expect(request?.path).toBe(`/v25.0/${MSG_KEYS.metaPhoneId}/messages`);
    expect(request?.headers.authorization).toBe(`Bearer ${MSG_KEYS.metaToken}`);
    expect(request?.fields).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "+6281234567890",
      type: "template",
      template: {
        name: "booking_confirmation",
        language: { code: "id" },
        components: [{ type: "body", parameters: [{ type: "text", text: "Ayu" }, { type: "text", text: "14 Juli 2025" }] }],
      },
    });
    expect(done.providerMessageId).toBe(meta.sent[0]?.id);

    const statuses = (status: string) =>
      JSON.stringify({
        object: "whatsapp_business_account",
        entry: [
          {
            id: "WABA-1",
            changes: [
              {
                field: "messages",
                value: {
                  messaging_product: "whatsapp",
                  metadata: { display_phone_number: "622155501000", phone_number_id: MSG_KEYS.metaPhoneId },
                  statuses: [{ id: done.providerMessageId, status, timestamp: "1752480000", recipient_id: "6281234567890" }],
                },
              },
            ],
          },
        ],
      });
    const post = (body: string, signature: string) =>
      call<{ received: boolean; id: string }>(hub.url, "POST", `/webhook/whatsapp/${whatsapp.slug}`, body, { "content-type": "application/json", "x-hub-signature-256": signature });
    const sign = (body: string) => `sha256=${createHmac("sha256", MSG_KEYS.metaAppSecret).update(body).digest("hex")}`;

    const forged = statuses("failed");
    expect((await post(forged, sign(`${forged} `))).status).toBe(401);
    const delivered = statuses("delivered");
    const accepted = await post(delivered, sign(delivered));
    expect(accepted.status).toBe(200);
    const after = await waitForMessage(machine, sent.body.id, (message) => message.status === "delivered", "the delivered status");
    expect(after.history.at(-1)).toMatchObject({ status: "delivered", source: "webhook", rawStatus: "delivered" });
    // A late "sent" never moves it back.
    const late = statuses("sent");
    expect((await post(late, sign(late))).status).toBe(200);
    await expectStillDelivered(whatsapp, sent.body.id, "both signed webhooks to be processed");
  });

  it("answers Meta's hub.challenge handshake when the verify token matches", async () => {
    const path = `/webhook/whatsapp/${whatsapp.slug}`;
    const good = await fetch(`${hub.url}${path}?hub.mode=subscribe&hub.verify_token=${MSG_KEYS.metaVerifyToken}&hub.challenge=1158201444`);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe("1158201444");
    const bad = await fetch(`${hub.url}${path}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444`);
    expect(bad.status).toBe(403);
  });

  it("sends an SMS through Twilio's Messages API; a status callback signed with twilio's helper marks it delivered", async () => {
    const sent = await send(machine, {
      featureKey: "notify.sms",
      channel: "sms",
      to: "+62 812-3456-7891",
      template: "checkin_code",
      locale: "id",
      params: { code: "4417", room: 12 },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const done = await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the SMS to be sent");
    expect(twilioFake.messages).toHaveLength(1);
    const request = twilioFake.requests.find((entry) => entry.method === "POST");
    expect(request?.path).toBe(`/2010-04-01/Accounts/${MSG_KEYS.twilioSid}/Messages.json`);
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${MSG_KEYS.twilioSid}:${MSG_KEYS.twilioToken}`).toString("base64")}`);
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      To: "+6281234567891",
      From: "+15005550006",
      Body: "Kode check-in 4417 untuk kamar 12.",
      StatusCallback: `${hub.url}/webhook/sms/${sms.slug}`,
    });
    expect(done).toMatchObject({ providerId: sms.id, providerMessageId: twilioFake.messages[0]?.sid, usedFallback: false });

    const url = `${hub.url}/webhook/sms/${sms.slug}`;
    const callback = (status: string) => ({
      MessageSid: done.providerMessageId ?? "",
      SmsSid: done.providerMessageId ?? "",
      MessageStatus: status,
      SmsStatus: status,
      AccountSid: MSG_KEYS.twilioSid,
      From: "+15005550006",
      To: "+6281234567891",
      ApiVersion: "2010-04-01",
    });
    const post = (params: Record<string, string>, signature: string) =>
      call(hub.url, "POST", `/webhook/sms/${sms.slug}`, new URLSearchParams(params).toString(), { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature });

    const forged = callback("delivered");
    expect((await post(forged, twilio.getExpectedTwilioSignature("not-the-token", url, forged))).status).toBe(401);
    const deliveredParams = callback("delivered");
    const signature = twilio.getExpectedTwilioSignature(MSG_KEYS.twilioToken, url, deliveredParams);
    expect(twilio.validateRequest(MSG_KEYS.twilioToken, signature, url, deliveredParams)).toBe(true);
    expect((await post(deliveredParams, signature)).status).toBe(200);
    const delivered = await waitForMessage(machine, sent.body.id, (message) => message.status === "delivered", "the delivered status");
    expect(delivered.deliveredAt).toBeDefined();
    const [event] = await waitFor(() => (messageEvents(sent.body.id, "message.delivered").length > 0 ? messageEvents(sent.body.id, "message.delivered") : undefined), "message.delivered for the subscriber");
    expect(event?.data).toMatchObject({ messageId: sent.body.id, channel: "sms", template: "checkin_code", providerId: sms.id, deliveredAt: delivered.deliveredAt });
    // Personal data stays in the message record.
    expect(JSON.stringify(event?.data)).not.toContain("6281234567891");
    // The same callback again is a duplicate; an "undelivered" after delivery never moves it back.
    expect((await post(deliveredParams, signature)).body).toMatchObject({ duplicate: true });
    const late = callback("undelivered");
    expect((await post(late, twilio.getExpectedTwilioSignature(MSG_KEYS.twilioToken, url, late))).status).toBe(200);
    await expectStillDelivered(sms, sent.body.id, "the callbacks to be processed");
    // Exactly one message.delivered, whatever came after; no message.failed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messageEvents(sent.body.id).map((item) => item.type)).toEqual(["message.delivered"]);
  });
});

describe("the API contract", () => {
  const body = { featureKey: "notify.sms", channel: "sms", to: "081234567892", template: "checkin_code", locale: "id", params: { code: "1", room: "2" } };

  it("returns the same message for the same Idempotency-Key and body, sends it once, and refuses another body with 409", async () => {
    const key = newKey("idem");
    const before = twilioFake.messages.length;
    const first = await send(machine, body, key);
    expect(first.status).toBe(202);
    const again = await send(machine, body, key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    const other = await send(machine, { ...body, params: { code: "9", room: "2" } }, key);
    expect(other.status).toBe(409);
    await waitForMessage(machine, first.body.id, (message) => message.status === "sent", "the SMS to be sent");
    expect((await send(machine, body, key)).body.status).toBe("sent");
    expect(twilioFake.messages.length - before).toBe(1);
  });

  it("needs an Idempotency-Key and the messages scope", async () => {
    const noKey = await machine<{ error: { message: string } }>("POST", "/api/v1/messages", body);
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.message).toContain("Idempotency-Key");
    const other = as(hub.url, await apiKey(admin, ["payments"]));
    expect((await send(other, body)).status).toBe(403);
  });

  it("normalises Indonesian numbers to E.164 and names a bad one in a 400", async () => {
    for (const [input, e164] of [
      ["0812 3456 7893", "+6281234567893"],
      ["6281234567894", "+6281234567894"],
      ["+62 (0)812-3456-7895", "+6281234567895"],
    ] as const) {
      const sent = await send(machine, { ...body, to: input });
      expect(sent.status, input).toBe(202);
      expect(sent.body.to).toBe(e164);
    }
    for (const input of ["0812-34", "12ab34567", "+62 812 3456 7890 1234"]) {
      const refused = await send(machine, { ...body, to: input });
      expect(refused.status, input).toBe(400);
      expect(refused.body.error?.message).toMatch(/^to: /);
    }
  });

  it("refuses a missing or extra parameter, an unknown template and a channel the feature does not send, naming each", async () => {
    const missing = await send(machine, { ...body, params: { code: "1", floor: 3 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toContain("params.room: missing");
    expect(missing.body.error?.message).toContain("params.floor: not a parameter");
    const unknown = await send(machine, { ...body, template: "no_such_template" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toContain("there is no sms template no_such_template");
    const wrongChannel = await send(machine, { ...body, featureKey: "notify.email" });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.body.error?.message).toContain("a mail provider");
  });

  it("lists messages for the admin app, filtered by status, with each attempt", async () => {
    const listed = await admin<{ items: MessageView[] }>("GET", "/api/admin/messages?status=delivered&limit=10");
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
    expect(listed.body.items.every((item) => item.status === "delivered")).toBe(true);
    const one = await admin<MessageView>("GET", `/api/admin/messages/${listed.body.items[0]?.id}`);
    expect(one.body.attempts.length).toBeGreaterThan(0);
    expect(JSON.stringify(one.body)).not.toContain(MSG_KEYS.twilioToken);
  });
});

describe("message triggers", () => {
  it("sends the configured confirmation when a reservation.created event arrives, once per event", async () => {
    const trigger = await admin<{ id: string }>("POST", "/api/admin/message-triggers", {
      eventType: "reservation.created",
      featureKey: "notify.email",
      channel: "email",
      template: "booking_confirmation",
      locale: "en",
      to: "guest.email",
      params: { guestName: "guest.name", code: "confirmationNumber", checkIn: "arrival" },
    });
    expect(trigger.status).toBe(201);
    const before = smtp.messages.length;
    const event = { type: "reservation.created", id: "res-evt-1", data: { reservationId: "R-1", confirmationNumber: "CN-881", arrival: "2025-08-01", guest: { name: "Budi", email: "budi@example.com" } } };
    expect((await machine("POST", "/api/v1/events", event)).status).toBe(202);
    expect((await machine("POST", "/api/v1/events", event)).status).toBe(200);
    const message = await waitFor(async () => {
      const { body } = await admin<{ items: MessageView[] }>("GET", "/api/admin/messages?to=budi@example.com");
      return body.items.find((item) => item.status === "sent");
    }, "the triggered e-mail");
    expect(message.source).toMatchObject({ kind: "trigger", triggerId: trigger.body.id, eventId: "res-evt-1" });
    expect(smtp.messages.length - before).toBe(1);
    const parsed = await simpleParser(smtp.messages.at(-1)?.raw ?? "");
    expect(parsed.subject).toBe("Booking CN-881 confirmed");

    // An event without the recipient becomes a failed message that says why, not a retry loop.
    await machine("POST", "/api/v1/events", { type: "reservation.created", id: "res-evt-2", data: { reservationId: "R-2", arrival: "2025-08-02" } });
    const refused = await waitFor(async () => {
      const { body } = await admin<{ items: MessageView[] }>("GET", "/api/admin/messages?status=failed");
      return body.items.find((item) => item.source.eventId === "res-evt-2");
    }, "the refused trigger");
    expect(refused.error).toContain("has no value at guest.email");
    const failed = await waitFor(() => messageEvents(refused.id, "message.failed")[0], "message.failed for the refused trigger");
    expect(failed.data).toMatchObject({ messageId: refused.id, channel: "email", template: "booking_confirmation" });
    expect(String(failed.data.error)).toContain("has no value at guest.email");
    expect((await admin("DELETE", `/api/admin/message-triggers/${trigger.body.id}`)).status).toBe(204);
  });

  it("sends a receipt SMS on payment.received, reading the recipient from the event", async () => {
    await template(admin, { name: "receipt", channel: "sms", locale: "id", params: [{ name: "amount", type: "number" }, { name: "reference" }], text: "Pembayaran {{reference}} sebesar Rp {{amount}} diterima." });
    const trigger = await admin<{ id: string }>("POST", "/api/admin/message-triggers", {
      eventType: "payment.received",
      featureKey: "notify.sms",
      channel: "sms",
      template: "receipt",
      locale: "id",
      to: "guest.phone",
      params: { amount: "amount", reference: "reference" },
    });
    expect(trigger.status).toBe(201);
    const before = twilioFake.messages.length;
    const published = await machine("POST", "/api/v1/events", {
      type: "payment.received",
      id: "pay-evt-1",
      data: { paymentId: "pay_pms_1", reference: "INV-77", amount: 1250000, currency: "IDR", guest: { phone: "0812 1111 2222" } },
    });
    expect(published.status).toBe(202);
    await waitFor(() => twilioFake.messages.length > before, "the receipt SMS");
    expect(twilioFake.messages.at(-1)).toMatchObject({ to: "+6281211112222", body: "Pembayaran INV-77 sebesar Rp 1.250.000 diterima." });
    expect((await admin("DELETE", `/api/admin/message-triggers/${trigger.body.id}`)).status).toBe(204);
  });
});

describe("retention and events", () => {
  it("lists message.delivered and message.failed in the event catalog", async () => {
    const { status, body } = await admin<{ items: { type: string; publishable?: boolean }[] }>("GET", "/api/admin/events/catalog");
    expect(status).toBe(200);
    const types = body.items.map((item) => item.type);
    expect(types).toEqual(expect.arrayContaining(["message.delivered", "message.failed"]));
  });

  it("keeps a message (and its idempotency claim) only as long as the tenant's retention, 90 days unless set", async () => {
    const owner = ownerApi(hub);
    expect((await owner<{ retentionDays: number }>("GET", "/api/admin/message-settings")).body).toEqual({ retentionDays: 90 });
    const body = { featureKey: "notify.sms", channel: "sms", to: "0812 5555 0101", template: "checkin_code", locale: "id", params: { code: "1001", room: 7 } };
    const kept = await send(machine, body, newKey());
    expect(kept.status).toBe(202);
    expect(Date.parse(kept.body.retainUntil ?? "") - Date.parse(kept.body.createdAt)).toBe(90 * 86_400_000);

    expect((await owner("PUT", "/api/admin/message-settings", { retentionDays: 0 })).status).toBe(400);
    expect((await owner("PUT", "/api/admin/message-settings", { retentionDays: 2 })).body).toEqual({ retentionDays: 2 });
    const key = newKey();
    const short = await send(machine, { ...body, params: { code: "1002", room: 8 } }, key);
    expect(short.status).toBe(202);
    await waitForMessage(machine, short.body.id, (message) => message.status === "sent", "the short-lived SMS to be sent");
    expect(Date.parse(short.body.retainUntil ?? "") - Date.parse(short.body.createdAt)).toBe(2 * 86_400_000);

    hub.clock.advance(2 * 86_400_000 + 1000);
    expect((await machine("GET", `/api/v1/messages/${short.body.id}`)).status).toBe(404);
    expect((await machine("GET", `/api/v1/messages/${kept.body.id}`)).status).toBe(200);
    // The claim went with the message: the key is free again (a new message), not a replay of a message that is gone.
    const again = await send(machine, { ...body, params: { code: "1002", room: 8 } }, key);
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(short.body.id);
    await owner("PUT", "/api/admin/message-settings", { retentionDays: 90 });
  });
});
