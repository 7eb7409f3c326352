import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpFake, type SmtpFake } from "../fakes/mail.ts";
import { apiKey, as, mapFeature, MSG_KEYS, provider, send, smtpMail, template, waitForMessage } from "../support/messaging.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { DESKTOP, ensureWebBuilt, launch, openPage, PHONE, screenshot, signIn, unnamedControls } from "./support.ts";

/**
 * The Messages and Templates pages in Chromium: a sent e-mail in the list and its
 * attempts, a template previewed with an HTML-escaped value, and a new SMS
 * template made through the form.
 */

let hub: TestRuntime;
let smtp: SmtpFake;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  ensureWebBuilt();
  [hub, smtp, browser] = await Promise.all([startTestRuntime({ allowPrivateUrls: true }), startSmtpFake({ username: MSG_KEYS.smtpUser, password: MSG_KEYS.smtpPassword }), launch()]);
  const admin = as(hub.url, hub.token);
  const mail = await provider(admin, smtpMail("Hotel mail server", smtp.port));
  await mapFeature(admin, "notify.email", mail);
  await template(admin, {
    name: "booking_confirmation",
    channel: "email",
    locale: "en",
    params: [{ name: "guestName" }],
    subject: "Welcome {{guestName}}",
    text: "Dear {{guestName}}",
    html: "<p>Dear {{guestName}}</p>",
  });
  const machine = as(hub.url, await apiKey(admin, ["messages"]));
  const sent = await send(machine, { featureKey: "notify.email", channel: "email", to: "ayu@example.com", template: "booking_confirmation", locale: "en", params: { guestName: "Ayu" } });
  await waitForMessage(machine, sent.body.id, (message) => message.status === "sent", "the seeded e-mail");
  ({ page, problems } = await openPage(browser));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([hub?.close(), smtp?.close()]);
});

const heading = (name: string | RegExp) => page.getByRole("heading", { level: 1, name }).waitFor();

describe("messages and templates in the admin app", () => {
  it("lists the sent message and shows its attempts", async () => {
    await signIn(page, `${hub.url}/messages`, "Messages");
    const row = page.getByRole("row", { name: /ayu@example\.com/ });
    await row.getByText("Sent").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "messages-desktop");
    await row.getByRole("link").click();
    await heading("Message to ayu@example.com");
    await page.getByRole("table", { name: "Attempts" }).getByText("Sent").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "message-detail-desktop");
    await page.setViewportSize(PHONE);
    await screenshot(page, "message-detail-phone");
    await page.setViewportSize(DESKTOP);
  });

  it("previews a template with the value HTML-escaped in the HTML part", async () => {
    await page.goto(`${hub.url}/templates`);
    await heading("Templates");
    await page.getByRole("button", { name: "Preview booking_confirmation (en)" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Parameters (JSON)").fill('{"guestName": "<b>Tom</b>"}');
    await dialog.getByRole("button", { name: "Preview", exact: true }).click();
    await dialog.getByText("<p>Dear &lt;b&gt;Tom&lt;/b&gt;</p>").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "template-preview-desktop");
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("creates an SMS template through the form, and shows the API's words for a bad one", async () => {
    await page.getByRole("button", { name: "New template" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("checkin_code");
    await dialog.getByRole("button", { name: /Channel/ }).click();
    await page.getByRole("option", { name: "SMS" }).click();
    expect(await unnamedControls(page)).toEqual([]);
    await dialog.getByLabel("Parameters").fill("code:string");
    await dialog.getByLabel("Text").fill("Code {{code}} for room {{room}}");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => dialog.getByText("{{room}} is not a declared parameter").count()).toBe(1);
    await dialog.getByLabel("Text").fill("Code {{code}}");
    await dialog.getByRole("button", { name: "Save" }).click();
    await page.getByRole("row", { name: /checkin_code/ }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
