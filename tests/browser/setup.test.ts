import { startRuntime, type Runtime } from "@sambung/functions/local/runtime";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";
import { DESKTOP, ensureWebBuilt, launch, screenshot, watchProblems } from "./support.ts";

/** First start without owner credentials: the printed one-time link opens the setup page, whose visitor becomes the owner. */

let hub: Runtime;
let browser: Browser;
const dir = tempDir();

beforeAll(async () => {
  ensureWebBuilt();
  [hub, browser] = await Promise.all([startRuntime({ dataDir: dir.path, port: 0, workers: false }), launch()]);
});

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  dir.remove();
});

describe("first-run setup", () => {
  it("creates the first owner from the one-time setup link, then refuses the link", async () => {
    expect(hub.setupUrl).toMatch(/\/setup#token=/);
    const page = await browser.newPage({ viewport: DESKTOP });
    page.setDefaultTimeout(10_000);
    const problems = watchProblems(page);
    await page.goto(hub.setupUrl as string);
    await page.getByRole("heading", { level: 1, name: "Set up Sambung" }).waitFor();
    // The token leaves the address bar as soon as it is read.
    expect(new URL(page.url()).hash).toBe("");
    await page.getByLabel("Business name").fill("Villa Kemuning");
    await page.getByLabel("E-mail").fill("owner@kemuning.example");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("alert").getByText(/password must have/).waitFor();
    await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
    await screenshot(page, "setup-desktop");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("heading", { level: 1, name: "Integrations" }).waitFor();
    await page.getByText("Villa Kemuning").waitFor();

    const again = await browser.newPage({ viewport: DESKTOP });
    again.setDefaultTimeout(10_000);
    await again.goto(hub.setupUrl as string);
    await again.getByLabel("Business name").fill("Someone else");
    await again.getByLabel("E-mail").fill("intruder@example.com");
    await again.getByLabel("Password", { exact: true }).fill("another long passphrase");
    await again.getByRole("button", { name: "Create owner account" }).click();
    await again.getByRole("alert").getByText(/not valid or was already used/).waitFor();
    expect(problems).toEqual([]);
  });
});
