import type { MessageView } from "@sambung/core/message/index";
import type { ProviderView } from "@sambung/core/provider/index";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { Webhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailgunFake, startPostmarkFake, startResendFake, startSendGridFake, startSesFake } from "../fakes/mail.ts";
import { apiKey, as, mapFeature, provider, send, template, waitForMessage, type Api } from "../support/messaging.ts";
import { call, startTestRuntime, type TestRuntime } from "../support/runtime.ts";

/**
 * The e-mail API formats against simulated vendors: each vendor's documented send
 * request (fields, HTML-escaped body, plain-text part, attachments), then its
 * signed delivery webhook through the inbound hub moves the message to delivered.
 */

const KEYS = {
  mailgun: "key-mailgun-e2e-0123456789",
  mailgunSigning: "mailgun-signing-key-e2e-0123",
  sendgrid: "SG.e2e-0123456789.abcdefghijklmnop",
  postmark: "postmark-server-token-e2e-0001",
  postmarkHook: "postmark-hook-password-0001",
  resend: "re_e2e_mail_0123456789",
  resendWebhook: `whsec_${Buffer.from("resend-webhook-secret-e2e-0123456789").toString("base64")}`,
  ses: { accessKeyId: "AKIAE2ETESTKEY000001", secretAccessKey: "ses-secret-access-key-e2e-0123456789abcd" },
};

const sendgridKeys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const PDF = Buffer.from("%PDF-1.4\n% receipt\n").toString("base64");

let hub: TestRuntime;
let admin: Api;
let machine: Api;
let mailgun: Awaited<ReturnType<typeof startMailgunFake>>;
let sendgrid: Awaited<ReturnType<typeof startSendGridFake>>;
let postmark: Awaited<ReturnType<typeof startPostmarkFake>>;
let resend: Awaited<ReturnType<typeof startResendFake>>;
let ses: Awaited<ReturnType<typeof startSesFake>>;
const providers: Record<string, ProviderView> = {};

beforeAll(async () => {
  [hub, mailgun, sendgrid, postmark, resend, ses] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startMailgunFake({ apiKey: KEYS.mailgun, domain: "mg.hotel.example" }),
    startSendGridFake({ apiKey: KEYS.sendgrid }),
    startPostmarkFake({ serverToken: KEYS.postmark }),
    startResendFake({ apiKey: KEYS.resend }),
    startSesFake({ ...KEYS.ses, region: "ap-southeast-1" }),
  ]);
  admin = as(hub.url, hub.token);
  machine = as(hub.url, await apiKey(admin, ["messages"]));
  const from = "Hotel Sambung <stay@hotel.example>";
  const records: Record<string, Record<string, unknown>> = {
    mailgun: { presetId: "mailgun", baseUrl: mailgun.url, secrets: { apiKey: KEYS.mailgun, webhookSigningKey: KEYS.mailgunSigning }, config: { from, domain: "mg.hotel.example" } },
    sendgrid: {
      presetId: "sendgrid",
      baseUrl: sendgrid.url,
      secrets: { apiKey: KEYS.sendgrid, webhookPublicKey: sendgridKeys.publicKey.export({ format: "der", type: "spki" }).toString("base64") },
      config: { from: "stay@hotel.example" },
    },
    postmark: {
      presetId: "postmark",
      baseUrl: postmark.url,
      secrets: { serverToken: KEYS.postmark, webhookPassword: KEYS.postmarkHook },
      config: { from, signature: { method: "postmark_basic_auth", params: { username: "hook-user", passwordField: "webhookPassword" } } },
    },
    resend: { presetId: "resend", baseUrl: resend.url, secrets: { apiKey: KEYS.resend, webhookSecret: KEYS.resendWebhook }, config: { from } },
    ses: { presetId: "amazon-ses", baseUrl: ses.url, secrets: KEYS.ses, config: { from: "stay@hotel.example", region: "ap-southeast-1" } },
  };
  for (const [name, record] of Object.entries(records)) {
    providers[name] = await provider(admin, { type: "mail", name: `Mail ${name}`, ...record });
    await mapFeature(admin, `notify.mail_${name}`, providers[name] as ProviderView);
  }
  await template(admin, {
    name: "receipt",
    channel: "email",
    locale: "en",
    params: [{ name: "guest" }, { name: "amount", type: "number" }],
    subject: "Receipt for {{guest}}",
    text: "Thank you {{guest}}, we received {{amount}}.",
    html: "<h1>Thank you {{guest}}</h1><p>We received {{amount}}.</p>",
  });
});

afterAll(async () => {
  await Promise.all([mailgun, sendgrid, postmark, resend, ses].map((fake) => fake.close()));
  await hub.close();
});

async function sendReceipt(vendor: string, attach = true): Promise<MessageView> {
  const sent = await send(machine, {
    featureKey: `notify.mail_${vendor}`,
    channel: "email",
    to: "guest@example.com",
    template: "receipt",
    locale: "en",
    params: { guest: "Ana <Bell> & Co", amount: 250000 },
    ...(attach ? { attachments: [{ filename: "receipt.pdf", contentType: "application/pdf", content: PDF }] } : {}),
  });
  expect(sent.status, JSON.stringify(sent.body)).toBe(202);
  return waitForMessage(machine, sent.body.id, (message) => message.status === "sent" || message.status === "failed", `the ${vendor} e-mail`);
}

const ESCAPED_HTML = "<h1>Thank you Ana &lt;Bell&gt; &amp; Co</h1><p>We received 250,000.</p>";
const TEXT = "Thank you Ana <Bell> & Co, we received 250,000.";

function lastOf<T>(list: T[]): T {
  const last = list.at(-1);
  if (!last) throw new Error("the vendor accepted nothing");
  return last;
}

async function delivered(message: MessageView, post: () => Promise<{ status: number }>): Promise<void> {
  expect((await post()).status).toBe(200);
  const after = await waitForMessage(machine, message.id, (current) => current.status === "delivered", "the delivered status");
  expect(after.history.at(-1)).toMatchObject({ status: "delivered", source: "webhook" });
}

describe("e-mail APIs", () => {
  it("Mailgun: multipart fields and the file part; a signed delivered event (a temporary failure before it does not fail the message)", async () => {
    const message = await sendReceipt("mailgun");
    expect(message.status).toBe("sent");
    const accepted = lastOf(mailgun.sent);
    expect(accepted.fields).toMatchObject({ from: "Hotel Sambung <stay@hotel.example>", to: "guest@example.com", subject: "Receipt for Ana <Bell> & Co", html: ESCAPED_HTML, text: TEXT });
    expect(accepted.attachments).toEqual([{ filename: "receipt.pdf", contentType: "application/pdf", size: Buffer.from(PDF, "base64").length }]);
    expect(message.providerMessageId).toBe(accepted.id);

    const event = (id: string, name: string, severity?: string) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const token = `token-${id}`;
      return JSON.stringify({
        signature: { timestamp, token, signature: createHmac("sha256", KEYS.mailgunSigning).update(timestamp + token).digest("hex") },
        "event-data": { id, event: name, ...(severity ? { severity } : {}), timestamp: Number(timestamp), recipient: "guest@example.com", message: { headers: { "message-id": accepted.id } } },
      });
    };
    const post = (body: string) => call(hub.url, "POST", `/webhook/mail/${providers.mailgun?.slug}`, body, { "content-type": "application/json" });
    expect((await post(event("evt-temp", "failed", "temporary"))).status).toBe(200);
    await delivered(message, () => post(event("evt-ok", "delivered")));
    expect((await machine<MessageView>("GET", `/api/v1/messages/${message.id}`)).body.history.map((change) => change.status)).not.toContain("failed");
  });

  it("SendGrid: v3 Mail Send with the id from X-Message-Id; an ECDSA-signed event batch", async () => {
    const message = await sendReceipt("sendgrid");
    const accepted = lastOf(sendgrid.sent);
    expect(accepted.fields).toMatchObject({
      personalizations: [{ to: [{ email: "guest@example.com" }] }],
      from: { email: "stay@hotel.example" },
      subject: "Receipt for Ana <Bell> & Co",
      content: [
        { type: "text/plain", value: TEXT },
        { type: "text/html", value: ESCAPED_HTML },
      ],
      attachments: [{ filename: "receipt.pdf", type: "application/pdf", content: PDF, disposition: "attachment" }],
    });
    expect(message.providerMessageId).toBe(accepted.id);
    const body = JSON.stringify([
      { email: "guest@example.com", timestamp: 1752480000, event: "processed", sg_event_id: "sg-evt-1", sg_message_id: `${accepted.id}.filter0001-16648-5515E0B88-0` },
      { email: "guest@example.com", timestamp: 1752480005, event: "delivered", sg_event_id: "sg-evt-2", sg_message_id: `${accepted.id}.filter0001-16648-5515E0B88-0` },
      { email: "guest@example.com", timestamp: 1752480009, event: "open", sg_event_id: "sg-evt-3", sg_message_id: `${accepted.id}.filter0001-16648-5515E0B88-0` },
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = sign("sha256", Buffer.from(timestamp + body), { key: sendgridKeys.privateKey, dsaEncoding: "der" }).toString("base64");
    await delivered(message, () =>
      call(hub.url, "POST", `/webhook/mail/${providers.sendgrid?.slug}`, body, {
        "content-type": "application/json",
        "x-twilio-email-event-webhook-signature": signature,
        "x-twilio-email-event-webhook-timestamp": timestamp,
      }),
    );
  });

  it("Postmark: POST /email with Attachments; a Delivery webhook with the webhook's basic-auth credentials", async () => {
    const message = await sendReceipt("postmark");
    const accepted = lastOf(postmark.sent);
    expect(accepted.fields).toMatchObject({ From: "Hotel Sambung <stay@hotel.example>", To: "guest@example.com", Subject: "Receipt for Ana <Bell> & Co", HtmlBody: ESCAPED_HTML, TextBody: TEXT, MessageStream: "outbound" });
    expect(accepted.attachments).toEqual([{ filename: "receipt.pdf", contentType: "application/pdf", size: Buffer.from(PDF, "base64").length }]);
    const body = JSON.stringify({ RecordType: "Delivery", ServerID: 23, MessageStream: "outbound", MessageID: accepted.id, Recipient: "guest@example.com", DeliveredAt: new Date().toISOString(), Details: "Test delivery" });
    const post = (password: string) =>
      call(hub.url, "POST", `/webhook/mail/${providers.postmark?.slug}`, body, { "content-type": "application/json", authorization: `Basic ${Buffer.from(`hook-user:${password}`).toString("base64")}` });
    expect((await post("wrong-password")).status).toBe(401);
    await delivered(message, () => post(KEYS.postmarkHook));
  });

  it("Resend: POST /emails with the message id as Idempotency-Key; a Svix-signed email.delivered event", async () => {
    const message = await sendReceipt("resend");
    const accepted = lastOf(resend.emails);
    expect(accepted.idempotencyKey).toBe(message.id);
    expect(accepted.body).toMatchObject({ from: "Hotel Sambung <stay@hotel.example>", to: ["guest@example.com"], subject: "Receipt for Ana <Bell> & Co", html: ESCAPED_HTML, text: TEXT, attachments: [{ filename: "receipt.pdf", content: PDF }] });
    const body = JSON.stringify({ type: "email.delivered", created_at: new Date().toISOString(), data: { email_id: accepted.id, from: "stay@hotel.example", to: ["guest@example.com"], subject: "Receipt" } });
    const id = "msg_resend_evt_1";
    const now = new Date();
    const signature = new Webhook(KEYS.resendWebhook).sign(id, now, body);
    await delivered(message, () =>
      call(hub.url, "POST", `/webhook/mail/${providers.resend?.slug}`, body, {
        "content-type": "application/json",
        "svix-id": id,
        "svix-timestamp": String(Math.floor(now.getTime() / 1000)),
        "svix-signature": signature,
      }),
    );
  });

  it("SES v2: SendEmail signed with SigV4 through the AWS SDK, at the record's endpoint", async () => {
    const message = await sendReceipt("ses", false);
    expect(message.status, message.error).toBe("sent");
    const accepted = lastOf(ses.sent);
    expect(accepted.fields).toMatchObject({
      FromEmailAddress: "stay@hotel.example",
      Destination: { ToAddresses: ["guest@example.com"] },
      Content: { Simple: { Subject: { Data: "Receipt for Ana <Bell> & Co" }, Body: { Text: { Data: TEXT }, Html: { Data: ESCAPED_HTML } } } },
    });
    expect(message.providerMessageId).toBe(accepted.id);
  });
});
