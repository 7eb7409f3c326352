import { engineFor, parseStatusWebhook, type OutgoingMessage } from "@sambung/core/format/messaging/index";
import { normalizePhone } from "@sambung/core/message/phone";
import { advance } from "@sambung/core/message/status";
import type { Message } from "@sambung/core/message/record";
import type { HttpRequest, HttpResponse, Ports } from "@sambung/core/port";
import type { Provider } from "@sambung/core/provider/record";
import type { Attempt } from "@sambung/core/resilience/pipeline";
import { ProviderError } from "@sambung/core/resilience/errors";
import { render, validateParams } from "@sambung/core/template/render";
import { Template } from "@sambung/core/template/record";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { providerRecord } from "../support/provider-record.ts";

/** A provider record as the admin app makes it from a preset. */
function fromPreset(type: string, id: string, config: Record<string, unknown> = {}): Provider {
  const preset = JSON.parse(readFileSync(new URL(`../../presets/${type}/${id}.json`, import.meta.url), "utf8")) as Record<string, unknown> & {
    auth: unknown;
    signature: unknown;
    config: Record<string, unknown>;
    headers: Record<string, string>;
  };
  return providerRecord({
    id: `prv_${id}`,
    tenantId: "t1",
    type,
    name: String(preset.name),
    slug: id,
    apiFormat: preset.apiFormat,
    headers: preset.headers ?? {},
    config: { auth: preset.auth, signature: preset.signature, ...preset.config, ...config },
  });
}

/** Runs an engine against a canned answer and returns the request it made. */
async function sendWith(provider: Provider, secrets: Record<string, string>, message: Partial<OutgoingMessage>, answer: Partial<HttpResponse> = {}) {
  const requests: HttpRequest[] = [];
  const attempt = {
    number: 1,
    role: "primary",
    timeoutMs: 5000,
    signal: new AbortController().signal,
    fetch: async (request: HttpRequest) => {
      requests.push(request);
      return { status: 200, headers: {}, body: "{}", latencyMs: 1, ...answer };
    },
    stream: () => Promise.reject(new Error("messaging engines do not stream")),
    note: () => undefined,
  } satisfies Attempt;
  const engine = engineFor(provider.apiFormat);
  if (!engine) throw new Error(`no engine for ${provider.apiFormat}`);
  const outgoing: OutgoingMessage = {
    id: "msg_1",
    channel: "whatsapp",
    to: "+6281234567890",
    rendered: { channel: "whatsapp", text: "Halo Ayu" },
    attachments: [],
    ...message,
  };
  const ports = { clock: { now: () => 0 } } as unknown as Ports;
  const result = await engine.send({ ports, provider, secrets, baseUrl: provider.baseUrl, attempt }, outgoing);
  return { request: requests[0] as HttpRequest, result };
}

const template = { name: "booking_confirmation", language: "id", body: [{ name: "guestName", value: "Ayu" }, { name: "checkIn", value: "14 Juli 2025" }], header: [] };

describe("phone numbers to E.164", () => {
  it.each([
    ["081234567890", "+6281234567890"],
    ["0812-3456-7890", "+6281234567890"],
    ["(0812) 3456 7890", "+6281234567890"],
    ["6281234567890", "+6281234567890"],
    ["+62 812 3456 7890", "+6281234567890"],
    ["+62 0812 3456 7890", "+6281234567890"],
    ["0062 812 3456 7890", "+6281234567890"],
    ["021 555 0100", "+62215550100"],
    ["+1 (415) 555-2671", "+14155552671"],
  ])("%s → %s", (input, e164) => expect(normalizePhone(input)).toBe(e164));

  it.each([["0812"], ["08123abc"], ["+62 812"], ["+62 8123 4567 8901 234"], ["1234567890123456"], [""]])("refuses %j with a message naming `to`", (input) => {
    expect(() => normalizePhone(input)).toThrow(/^to: /);
  });
});

describe("template params and rendering", () => {
  const email = Template.parse({
    id: "tpl_1",
    tenantId: "t1",
    name: "receipt",
    channel: "email",
    locale: "id",
    params: [
      { name: "guest", type: "string" },
      { name: "amount", type: "number" },
      { name: "paidAt", type: "datetime" },
      { name: "link", type: "url", required: false },
    ],
    subject: "Kuitansi {{guest}}",
    text: "Terima kasih {{guest}}: {{amount}} pada {{paidAt}}",
    html: "<a href=\"{{link}}\">{{guest}}</a>",
    createdBy: "t",
    createdAt: "t",
    updatedBy: "t",
    updatedAt: "t",
  });

  it("formats numbers and times for the locale and the time zone, and escapes every value in HTML (attributes too)", () => {
    const params = validateParams(email, { guest: 'Ayu "A" <b>', amount: "1500000", paidAt: "2025-07-14T03:00:00Z", link: "https://hotel.example/r?a=1&b=2" });
    const out = render(email, params, { timeZone: "Asia/Jakarta" });
    expect(out.text).toBe('Terima kasih Ayu "A" <b>: 1.500.000 pada 14 Juli 2025 pukul 10.00');
    expect(out.html).toBe('<a href="https://hotel.example/r?a=1&amp;b=2">Ayu &quot;A&quot; &lt;b&gt;</a>');
  });

  it("keeps a subject on one line whatever a value holds", () => {
    const out = render(email, validateParams(email, { guest: "Ayu\r\nBcc: x@evil.example", amount: 1, paidAt: "2025-07-14T03:00:00Z" }), { timeZone: "UTC" });
    expect(out.subject).toBe("Kuitansi Ayu Bcc: x@evil.example");
  });

  it("refuses a url that is not http(s) and names it", () => {
    expect(() => validateParams(email, { guest: "A", amount: 1, paidAt: "2025-07-14T03:00:00Z", link: "javascript:alert(1)" })).toThrow(/params\.link: expected an http\(s\) URL/);
  });
});

describe("WhatsApp formats build the vendor's documented request", () => {
  it("meta_cloud_api: a media message replaces the text object with {type: {link, caption}}", async () => {
    const provider = fromPreset("whatsapp", "meta-cloud-api", { phoneNumberId: "1099" });
    const { request } = await sendWith(provider, { accessToken: "token-1" }, { attachments: [{ filename: "map.pdf", contentType: "application/pdf", url: "https://hotel.example/map.pdf" }] }, { body: JSON.stringify({ messages: [{ id: "wamid.X" }] }) });
    expect(request.url).toBe("https://vendor.example/v25.0/1099/messages");
    expect(JSON.parse(String(request.body))).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "+6281234567890",
      type: "document",
      document: { link: "https://hotel.example/map.pdf", filename: "map.pdf", caption: "Halo Ayu" },
    });
  });

  it("twilio_whatsapp: a template goes by Content SID with ContentVariables", async () => {
    const provider = fromPreset("whatsapp", "twilio-whatsapp", { from: "whatsapp:+14155238886" });
    const { request, result } = await sendWith(
      provider,
      { accountSid: "AC123", authToken: "tok" },
      { rendered: { channel: "whatsapp", text: "x", whatsapp: { ...template, name: "HX0123456789abcdef" } } },
      { status: 201, body: JSON.stringify({ sid: "SM1", status: "queued" }) },
    );
    expect(request.url).toBe("https://vendor.example/2010-04-01/Accounts/AC123/Messages.json");
    expect(Object.fromEntries(new URLSearchParams(String(request.body)))).toEqual({
      To: "whatsapp:+6281234567890",
      From: "whatsapp:+14155238886",
      ContentSid: "HX0123456789abcdef",
      ContentVariables: JSON.stringify({ 1: "Ayu", 2: "14 Juli 2025" }),
    });
    expect(result).toEqual({ providerMessageId: "SM1", rawStatus: "queued" });
  });

  it("360dialog: Cloud API template payload with the D360-API-KEY header", async () => {
    const provider = fromPreset("whatsapp", "360dialog");
    const { request } = await sendWith(provider, { apiKey: "d360-key" }, { rendered: { channel: "whatsapp", text: "x", whatsapp: template } });
    expect(request.headers?.["d360-api-key"]).toBe("d360-key");
    expect(JSON.parse(String(request.body)).template).toEqual({
      name: "booking_confirmation",
      language: { code: "id" },
      components: [{ type: "body", parameters: [{ type: "text", text: "Ayu" }, { type: "text", text: "14 Juli 2025" }] }],
    });
  });

  it("wati: session text in the query, templates with named parameters", async () => {
    const provider = fromPreset("whatsapp", "wati", { tenantId: "1001" });
    const text = await sendWith(provider, { accessToken: "wati-token" }, {});
    expect(text.request.url).toBe("https://vendor.example/1001/api/v1/sendSessionMessage/6281234567890?messageText=Halo+Ayu");
    const templated = await sendWith(provider, { accessToken: "wati-token" }, { rendered: { channel: "whatsapp", text: "x", whatsapp: template } });
    expect(templated.request.url).toBe("https://vendor.example/1001/api/v1/sendTemplateMessage?whatsappNumber=6281234567890");
    expect(JSON.parse(String(templated.request.body))).toEqual({
      template_name: "booking_confirmation",
      broadcast_name: "booking_confirmation",
      parameters: [{ name: "guestName", value: "Ayu" }, { name: "checkIn", value: "14 Juli 2025" }],
    });
  });
});

describe("rest_simple SMS", () => {
  it("Vonage: a 200 whose status is not 0 is a refusal, in the vendor's words", async () => {
    const provider = fromPreset("sms", "vonage-sms", { from: "Hotel" });
    const refused = sendWith(provider, { apiKey: "k", apiSecret: "s" }, { channel: "sms" }, { body: JSON.stringify({ "message-count": "1", messages: [{ status: "4", "error-text": "Bad Credentials" }] }) });
    await expect(refused).rejects.toBeInstanceOf(ProviderError);
    await expect(refused).rejects.toThrow(/status 4 "Bad Credentials"/);
    const ok = await sendWith(provider, { apiKey: "k", apiSecret: "s" }, { channel: "sms" }, { body: JSON.stringify({ messages: [{ status: "0", "message-id": "0A0000001" }] }) });
    expect(Object.fromEntries(new URLSearchParams(String(ok.request.body)))).toEqual({ from: "Hotel", to: "6281234567890", text: "Halo Ayu" });
    expect(ok.result.providerMessageId).toBe("0A0000001");
  });

  it("a 503 means not taken (a fallback may send it); a 500 may have been sent", async () => {
    const provider = fromPreset("sms", "twilio-sms", { from: "+1500" });
    const unavailable = await sendWith(provider, { apiKey: "AC1", apiSecret: "t" }, { channel: "sms" }, { status: 503, body: "{}" }).catch((error: unknown) => error as ProviderError);
    expect(unavailable).toMatchObject({ delivery: "no", retryable: true, status: 503 });
    const broken = await sendWith(provider, { apiKey: "AC1", apiSecret: "t" }, { channel: "sms" }, { status: 500, body: JSON.stringify({ message: "boom" }) }).catch((error: unknown) => error as ProviderError);
    expect(broken).toMatchObject({ delivery: "yes", status: 500 });
    expect((broken as ProviderError).message).toContain('"boom"');
  });
});

describe("delivery-status webhooks, read through the record", () => {
  it("Twilio status callback (form)", () => {
    const provider = fromPreset("sms", "twilio-sms");
    const parsed = parseStatusWebhook(provider, { rawBody: "MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(parsed).toEqual({ eventId: "SM1:undelivered", updates: [{ providerMessageId: "SM1", status: "failed", rawStatus: "undelivered", errorCode: "30003" }] });
  });

  it("Meta statuses batch, with the error of a failed one; inbound messages are not statuses", () => {
    const provider = fromPreset("whatsapp", "meta-cloud-api");
    const body = {
      entry: [
        {
          changes: [
            {
              value: {
                statuses: [
                  { id: "wamid.A", status: "read", timestamp: "1" },
                  { id: "wamid.B", status: "failed", timestamp: "2", errors: [{ code: 131026, title: "Message undeliverable" }] },
                ],
                messages: [{ id: "wamid.IN", type: "text", text: { body: "hi" } }],
              },
            },
          ],
        },
      ],
    };
    const parsed = parseStatusWebhook(provider, { rawBody: JSON.stringify(body), headers: { "content-type": "application/json" } });
    expect(parsed.updates).toEqual([
      { providerMessageId: "wamid.A", status: "read", rawStatus: "read" },
      { providerMessageId: "wamid.B", status: "failed", rawStatus: "failed", errorCode: "131026", errorMessage: "Message undeliverable" },
    ]);
    expect(parsed.eventId).toMatch(/^batch:/);
  });

  it("Postmark bounce and Resend bounce are failures; Resend opens are not delivery statuses", () => {
    const postmark = parseStatusWebhook(fromPreset("mail", "postmark"), {
      rawBody: JSON.stringify({ RecordType: "Bounce", MessageID: "pm-1", Type: "HardBounce", Description: "The server was unable to deliver your message" }),
      headers: { "content-type": "application/json" },
    });
    expect(postmark.updates).toEqual([{ providerMessageId: "pm-1", status: "failed", rawStatus: "Bounce", errorMessage: "The server was unable to deliver your message" }]);
    const resend = fromPreset("mail", "resend");
    const opened = parseStatusWebhook(resend, { rawBody: JSON.stringify({ type: "email.opened", data: { email_id: "re-1" } }), headers: {} });
    expect(opened.updates).toEqual([]);
    const bounced = parseStatusWebhook(resend, { rawBody: JSON.stringify({ type: "email.bounced", data: { email_id: "re-1" } }), headers: {} });
    expect(bounced.updates).toEqual([{ providerMessageId: "re-1", status: "failed", rawStatus: "email.bounced" }]);
  });
});

describe("statuses move forward only", () => {
  const base = { id: "msg_1", status: "sent", history: [], providerSlug: "twilio" } as unknown as Message;
  const update = (status: "sent" | "delivered" | "read" | "failed") => ({ providerMessageId: "SM1", status, rawStatus: status });

  it("sent → delivered → (read recorded), never back to sent or failed", () => {
    const delivered = advance(base, update("delivered"), "t1") as Message;
    expect(delivered.status).toBe("delivered");
    expect(advance(delivered, update("sent"), "t2")).toBeUndefined();
    expect(advance(delivered, update("failed"), "t2")).toBeUndefined();
    expect(advance(delivered, update("read"), "t3")).toMatchObject({ status: "delivered", readAt: "t3" });
  });

  it("a failure is final too", () => {
    const failed = advance(base, update("failed"), "t1") as Message;
    expect(failed.status).toBe("failed");
    expect(advance(failed, update("delivered"), "t2")).toBeUndefined();
  });
});
