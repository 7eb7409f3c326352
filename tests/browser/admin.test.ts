import type { Ping } from "@sambung/core/diag/index";
import * as Resilience from "@sambung/core/resilience/index";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAiFake } from "../fakes/ai.ts";
import type { HttpFake } from "../fakes/server.ts";
import { OWNER, signIn, startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";
import { DESKTOP, ensureWebBuilt, launch, openPage, PHONE, screenshot } from "./support.ts";

/**
 * The admin app in Debian's Chromium against the local runtime in this process:
 * sign-in, the add-provider wizard to a green connection test against a simulated
 * OpenAI-compatible provider, a dead letter redriven from the dashboard, and a
 * screenshot of each main page at desktop and phone widths.
 */

const API_KEY = "sk-test-browser-0123456789abcdef";

let hub: TestRuntime;
let openai: HttpFake;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  ensureWebBuilt();
  [hub, openai, browser] = await Promise.all([
    startTestRuntime({ allowPrivateUrls: true }),
    startOpenAiFake({ apiKey: API_KEY, models: ["gpt-4o-mini", "gpt-4o"] }),
    launch(),
  ]);
  ({ page, problems } = await openPage(browser));
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([hub?.close(), openai?.close()]);
});

async function heading(name: string | RegExp) {
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

describe("admin app", () => {
  it("serves the SPA with hashed assets cached for a year and index.html for client-side routes", async () => {
    const index = await fetch(`${hub.url}/integrations`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${hub.url}${script}`);
    expect(asset.headers.get("content-type")).toContain("text/javascript");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${hub.url}/assets/missing-chunk.js`)).status).toBe(404);
    expect((await fetch(`${hub.url}/api/nowhere`)).status).toBe(404);
  });

  it("signs in", async () => {
    await page.goto(`${hub.url}/integrations`);
    await heading("Sign in");
    await screenshot(page, "sign-in-desktop");
    await page.getByLabel("E-mail").fill(OWNER.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("do not match");
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Integrations");
    await page.getByText("No providers yet").waitFor();
    await screenshot(page, "integrations-empty-desktop");
  });

  it("adds a provider through the wizard to a green connection test and maps it to a feature", async () => {
    await page.getByRole("link", { name: "Add provider" }).first().click();
    await heading("Add a provider");
    // Step 1: type and preset.
    await page.getByRole("button", { name: /Integration type/ }).click();
    await page.getByRole("option", { name: "AI", exact: true }).click();
    const preset = page.locator(".preset-card").filter({ has: page.locator(".preset-name", { hasText: /^OpenAI$/ }) });
    await preset.click();
    await screenshot(page, "wizard-1-preset-desktop");
    await page.getByRole("button", { name: "Continue" }).click();
    // Step 2: credentials, masked while typing.
    await page.getByRole("heading", { name: /Step 2 of 4/ }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("OpenAI (test)");
    await page.getByLabel("Base URL", { exact: true }).fill(`${openai.url}/v1`);
    const secret = page.getByLabel("API key", { exact: true });
    await secret.fill(API_KEY);
    expect(await secret.getAttribute("type")).toBe("password");
    await page.getByRole("button", { name: "Show API key" }).click();
    expect(await secret.getAttribute("type")).toBe("text");
    await page.getByRole("button", { name: "Hide API key" }).click();
    await screenshot(page, "wizard-2-credentials-desktop");
    await page.getByRole("button", { name: "Save provider" }).click();
    // Step 3: test the connection against the simulated provider.
    await page.getByRole("heading", { name: /Step 3 of 4/ }).waitFor();
    await expect.poll(() => page.locator("body").textContent()).not.toContain(API_KEY);
    await page.getByText("••••cdef").waitFor();
    await page.getByRole("button", { name: "Test connection" }).click();
    const result = page.locator(".test-result");
    await result.waitFor();
    expect(await result.getAttribute("data-status")).toBe("ok");
    expect(await result.textContent()).toContain("Connection works");
    expect(await result.textContent()).toContain("2 models available");
    expect(openai.requests.some((request) => request.path === "/v1/models" && request.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
    await screenshot(page, "wizard-3-test-desktop");
    await page.getByRole("button", { name: "Continue" }).click();
    // Step 4: map to a feature; the webhook URL is shown with a copy button.
    await page.getByRole("heading", { name: /Step 4 of 4/ }).waitFor();
    expect(await page.getByLabel("Feature", { exact: true }).inputValue()).toBe("ai.chat");
    await page.getByRole("button", { name: "Map feature" }).click();
    await page.getByText("ai.chat now uses this provider.").waitFor();
    expect(await page.getByTestId("webhook-url").textContent()).toMatch(/\/webhook\/ai\/openai-test$/);
    await page.getByRole("button", { name: "Copy webhook URL" }).waitFor();
    await screenshot(page, "wizard-4-map-desktop");
    await page.getByRole("button", { name: "Finish" }).click();
    // Back on the integrations page: the card says it was tested, the mapping is listed.
    await heading("Integrations");
    const card = page.locator('[data-provider="openai-test"]');
    await card.getByText(/✓ tested/).waitFor();
    await page.getByRole("cell", { name: "ai.chat", exact: true }).waitFor();
    await screenshot(page, "integrations-desktop");
  });

  it("refuses to delete a mapped provider and says why, in words", async () => {
    const card = page.locator('[data-provider="openai-test"]');
    await card.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("alertdialog");
    await dialog.getByRole("button", { name: "Delete" }).click();
    await dialog.getByText(/is mapped to ai\.chat \(whole business, primary\)/).waitFor();
    await screenshot(page, "integrations-delete-conflict-desktop");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
  });

  it("shows real provider health: alerting on top, latency chart, drill-down to the call log", async () => {
    // Calls through the hub's own resilience pipeline (this process runs the hub): 8 answered, 4 refused for a bad key.
    const me = await hub.api<{ tenant: { id: string } }>("GET", "/api/auth/me");
    for (let n = 0; n < 12; n += 1) {
      const good = n % 3 !== 2;
      await Resilience.call(hub.ports, {
        tenantId: me.body.tenant.id,
        featureKey: "ai.chat",
        action: "list_models",
        idempotent: true,
        run: (provider, attempt) =>
          attempt.fetch({ method: "GET", url: `${provider.baseUrl}/models`, headers: { authorization: `Bearer ${good ? API_KEY : "sk-wrong-key-0000"}` } }),
      }).catch(() => undefined);
      hub.clock.advance(5_000);
    }
    await page.getByRole("link", { name: "Health" }).click();
    await heading("Health");
    await page.getByRole("alert").getByText("OpenAI (test)").waitFor();
    const row = page.locator('tr[data-provider="openai-test"]');
    await row.getByText("Alerting").waitFor();
    expect(await row.locator("td.num").first().textContent()).toBe("66.7%");
    expect(await row.locator("td.num").last().textContent()).toBe("124 failed");
    await page.locator(".chart canvas").first().waitFor();
    await screenshot(page, "health-alerting-desktop");
    await row.getByRole("link", { name: "Call log" }).click();
    const log = page.getByRole("region", { name: "Calls to OpenAI (test)" });
    await expect.poll(() => log.getByRole("row").count()).toBe(13);
    await log.getByText("Failure").first().waitFor();
    await log.locator(".chart canvas").first().waitFor();
    await screenshot(page, "health-call-log-desktop");
  });

  it("redrives a dead letter from the dashboard", async () => {
    const created = await hub.api<Ping>("POST", "/api/diag/pings", { failTimes: 3 });
    const id = created.body.id;
    const ping = async () => (await hub.api<Ping>("GET", `/api/diag/pings/${id}`)).body;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await waitFor(async () => (await ping()).attempts === attempt, `delivery ${attempt}`);
      hub.clock.advance(31_000);
    }
    await waitFor(async () => {
      const { body } = await hub.api<{ queues: { queue: string; dead: number }[] }>("GET", "/api/admin/dlq");
      return body.queues.find((queue) => queue.queue === "diag")?.dead === 1;
    }, "the ping in the dead-letter queue");

    await page.getByRole("link", { name: "Dead letters" }).click();
    await heading("Dead letters");
    const diag = page.locator('[data-queue="diag"]');
    await diag.getByText("1 dead").waitFor();
    await diag.getByRole("button", { name: /diag\.ping/ }).click();
    await diag.getByLabel("Message body").getByText(id).waitFor();
    await screenshot(page, "dead-letters-inspect-desktop");
    await diag.getByRole("button", { name: "Redrive all (1)" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Redrive 1" }).click();
    await diag.getByText("1 redriven").waitFor();
    await waitFor(async () => (await ping()).status === "processed", "the redriven ping to be processed");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByText("No dead letters.").waitFor();
    await screenshot(page, "dead-letters-redriven-desktop");
  });

  it("creates an API key shown once and revokes it after a confirmation", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    await heading("API keys");
    await page.getByText("No API keys yet").waitFor();
    await page.getByRole("button", { name: "Create API key" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("Front desk PMS");
    await dialog.getByRole("button", { name: "Create API key" }).click();
    const key = await dialog.getByTestId("once-value").textContent();
    expect(key).toMatch(/^sk_live_/);
    await screenshot(page, "api-key-once-desktop");
    await dialog.getByRole("button", { name: "I have stored it" }).click();
    const row = page.getByRole("row", { name: /Front desk PMS/ });
    await row.getByRole("button", { name: "Revoke Front desk PMS" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Revoke" }).click();
    await row.getByText(/Revoked/).waitFor();
    expect((await fetch(`${hub.url}/api/v1/payments?reference=x`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    await screenshot(page, "api-keys-desktop");
  });

  it("adds an outgoing webhook subscription with its secret shown once, rotates it, and deletes it after a confirmation", async () => {
    await page.goto(`${hub.url}/webhooks?tab=subscriptions`);
    await heading("Webhooks");
    await page.getByText("No subscriptions yet").waitFor();
    await page.getByRole("button", { name: "Add subscription" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Endpoint URL").fill(`${openai.url}/hooks/sambung`);
    await dialog.getByText("Every event (*)").click();
    await dialog.getByRole("button", { name: "Add subscription" }).click();
    const secret = await dialog.getByTestId("once-value").textContent();
    expect(secret).toMatch(/^whsec_/);
    await screenshot(page, "subscription-secret-once-desktop");
    await dialog.getByRole("button", { name: "I have stored it" }).click();
    const card = page.getByRole("article", { name: `${openai.url}/hooks/sambung` });
    await card.getByText(`••••${secret?.slice(-4)}`).waitFor();
    await card.getByRole("button", { name: "Rotate secret" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Rotate secret" }).click();
    const rotated = await card.getByTestId("once-value").textContent();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await card.getByText(/the previous secret also signs until/).waitFor();
    await screenshot(page, "webhooks-subscription-desktop");
    await card.getByRole("button", { name: "I have stored it" }).click();
    await card.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText("No subscriptions yet").waitFor();
  });

  it("shows every main page with its data, empty and loading states, at desktop and phone widths", async () => {
    const pages: [string, string | RegExp, string][] = [
      ["/integrations", "Integrations", "integrations"],
      ["/integrations/new?type=payment", "Add a provider", "wizard"],
      ["/monitoring", "Health", "health"],
      ["/webhooks", "Webhooks", "webhooks-inbound"],
      ["/webhooks?tab=subscriptions", "Webhooks", "webhooks-subscriptions"],
      ["/webhooks?tab=deliveries", "Webhooks", "webhooks-deliveries"],
      ["/dead-letters", "Dead letters", "dead-letters"],
      ["/payments", "Payments", "payments"],
      ["/audit", "Audit log", "audit"],
      ["/api-keys", "API keys", "api-keys"],
    ];
    for (const [viewport, suffix] of [
      [DESKTOP, "desktop"],
      [PHONE, "phone"],
    ] as const) {
      await page.setViewportSize(viewport);
      for (const [path, title, name] of pages) {
        await page.goto(`${hub.url}${path}`);
        await heading(title);
        await page.waitForFunction(() => !document.querySelector(".state-loading"));
        expect(await page.locator(".state-error").count(), `${path} shows an error`).toBe(0);
        await screenshot(page, `${name}-${suffix}`);
      }
    }
    await page.goto(`${hub.url}/audit`);
    await page.getByRole("cell", { name: "provider.created" }).waitFor();
    await page.setViewportSize(DESKTOP);
  }, 90_000);

  it("switches to Indonesian and shows times in the tenant's time zone", async () => {
    await page.goto(`${hub.url}/audit`);
    await heading("Audit log");
    expect(await page.locator("header.page-header p").textContent()).toContain("Asia/Jakarta");
    await page.getByRole("button", { name: /Language/ }).click();
    await page.getByRole("option", { name: "Bahasa Indonesia" }).click();
    await heading("Log audit");
    expect(await page.locator("html").getAttribute("lang")).toBe("id");
    await screenshot(page, "audit-id-desktop");
    await page.getByRole("button", { name: /Bahasa/ }).click();
    await page.getByRole("option", { name: "English" }).click();
    await heading("Audit log");
  });

  it("sends an expired session back to sign-in, and back to the same page after it", async () => {
    await page.goto(`${hub.url}/api-keys`);
    await heading("API keys");
    hub.clock.advance(2 * 3600 * 1000);
    await page.getByRole("link", { name: "Audit log" }).click();
    await heading("Sign in");
    await page.getByText("Your session has expired").waitFor();
    await screenshot(page, "session-expired-desktop");
    await page.getByLabel("E-mail").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading("Audit log");
    expect(new URL(page.url()).pathname).toBe("/audit");
    expect(problems).toEqual([]);
  });

  it("warns on a card whose webhooks anyone could forge", async () => {
    const created = await hub.api<{ slug: string }>("POST", "/api/admin/providers", {
      type: "payment",
      name: "Unsigned Gateway",
      apiFormat: "redirect_flow",
      baseUrl: "https://gateway.example/api",
      secrets: { serverKey: "server-key-unsigned" },
      config: { signature: { method: "none" } },
    }, { authorization: `Bearer ${await signIn(hub.url)}` });
    expect(created.status).toBe(201);
    await page.goto(`${hub.url}/integrations?type=payment`);
    await heading("Integrations");
    const card = page.locator(`[data-provider="${created.body.slug}"]`);
    await card.locator(".provider-warnings").getByText(/anyone who knows this provider's webhook URL/).waitFor();
    await page.goto(`${hub.url}/integrations?type=ai`);
    await page.locator('[data-provider="openai-test"]').waitFor();
    expect(await page.locator(".provider-warnings").count()).toBe(0);
  });
});
