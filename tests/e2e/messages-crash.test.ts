import type { MessageView } from "@sambung/core/message/index";
import { afterAll, describe, expect, it } from "vitest";
import { startResendFake } from "../fakes/mail.ts";
import { startTwilioFake } from "../fakes/messaging.ts";
import { apiKey, as, mapFeature, MSG_KEYS, provider, send, template, twilioSms, waitForMessage } from "../support/messaging.ts";
import { signIn, spawnRuntime, tempDir } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";

const data = tempDir("sambung-messages-crash-");
afterAll(() => data.remove());

const PRIVATE = { SAMBUNG_ALLOW_PRIVATE_URLS: "1" };
/** Longer than the kill takes, short enough that the send claim's lease runs out quickly after the restart. */
const TIMEOUT = { timeoutMs: 3000 };

describe("npm start's process killed while a provider has the message", () => {
  it("never sends twice: a vendor that takes idempotency keys is asked again with the same key, any other send is marked unknown, not resent", async () => {
    let vendorsHang = true;
    const twilioFake = await startTwilioFake({ accountSid: MSG_KEYS.twilioSid, authToken: MSG_KEYS.twilioToken, send: () => (vendorsHang ? "hang" : undefined) });
    const resend = await startResendFake({ apiKey: MSG_KEYS.resendKey, send: () => (vendorsHang ? "hang" : undefined) });
    const posts = () => twilioFake.requests.filter((request) => request.method === "POST").length;

    const first = await spawnRuntime(data.path, PRIVATE);
    const token = await signIn(first.url);
    const admin = as(first.url, token);
    const key = await apiKey(admin, ["messages"]);
    await mapFeature(admin, "notify.sms", await provider(admin, twilioSms("Twilio SMS", twilioFake.url, MSG_KEYS.twilioSid, MSG_KEYS.twilioToken, TIMEOUT)));
    await mapFeature(
      admin,
      "notify.email",
      await provider(admin, { type: "mail", presetId: "resend", name: "Resend", baseUrl: resend.url, secrets: { apiKey: MSG_KEYS.resendKey }, config: { from: "Hotel <stay@hotel.example>", ...TIMEOUT } }),
    );
    await template(admin, { name: "checkin_code", channel: "sms", locale: "en", params: [{ name: "code" }], text: "Check-in code {{code}}" });
    await template(admin, { name: "receipt", channel: "email", locale: "en", params: [{ name: "amount", type: "number" }], subject: "Your receipt", text: "Paid {{amount}}" });

    const machine = as(first.url, key);
    const sms = await send(machine, { featureKey: "notify.sms", channel: "sms", to: "+6281234500001", template: "checkin_code", locale: "en", params: { code: "9" } });
    const mail = await send(machine, { featureKey: "notify.email", channel: "email", to: "guest@example.com", template: "receipt", locale: "en", params: { amount: 250000 } });
    expect([sms.status, mail.status]).toEqual([202, 202]);

    // Both vendors have the request (Resend has even taken the e-mail); neither has answered: kill -9 now.
    await waitFor(() => posts() === 1 && resend.emails.length === 1, "both vendors to hold a request");
    const sending = await machine<MessageView>("GET", `/api/v1/messages/${sms.body.id}`);
    expect(sending.body).toMatchObject({ status: "sending", attempts: [{ status: "sending" }] });
    first.process.kill("SIGKILL");
    expect(await first.exited).toBe(null);
    vendorsHang = false;

    const second = await spawnRuntime(data.path, PRIVATE);
    const machine2 = as(second.url, key);
    const email = await waitForMessage(machine2, mail.body.id, (message) => message.status === "sent", "the e-mail to be confirmed with the same idempotency key", 20_000);
    expect(resend.emails).toHaveLength(1);
    expect(email.providerMessageId).toBe(resend.emails[0]?.id);
    const keys = resend.requests.filter((request) => request.method === "POST").map((request) => request.headers["idempotency-key"]);
    expect(keys).toEqual([mail.body.id, mail.body.id]);
    expect(email.attempts.map((attempt) => [attempt.status, attempt.role])).toEqual([
      ["unknown", "primary"],
      ["sent", "direct"],
    ]);

    const unknown = await waitForMessage(machine2, sms.body.id, (message) => message.status === "unknown", "the SMS to be marked unknown", 20_000);
    expect(unknown.attempts).toMatchObject([{ status: "unknown", delivery: "maybe" }]);
    expect(unknown.error).toContain("was not sent again");
    expect(posts()).toBe(1);
    // The admin app surfaces it; a person decides to send it again.
    const admin2 = as(second.url, token);
    const listed = await admin2<{ items: MessageView[] }>("GET", "/api/admin/messages?status=unknown");
    expect(listed.body.items.map((item) => item.id)).toEqual([sms.body.id]);
    expect((await admin2("POST", `/api/admin/messages/${sms.body.id}/resend`)).status).toBe(202);
    const resent = await waitForMessage(machine2, sms.body.id, (message) => message.status === "sent", "the resend", 10_000);
    expect(posts()).toBe(2);
    expect(resent.history.map((change) => change.source)).toContain("admin");

    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    await Promise.all([twilioFake.close(), resend.close()]);
  });
});
