import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { nodeBin, OWNER, repoRoot } from "../support/runtime.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(repoRoot, "test-output/screenshots");
const WEB = join(repoRoot, "packages/web");

export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** The admin SPA's dist, built now if it is missing or older than its sources (npm ci builds it once). */
export function ensureWebBuilt(): void {
  const index = join(WEB, "dist/index.html");
  const sources = Math.max(newest(join(WEB, "src")), statSync(join(WEB, "index.html")).mtimeMs, statSync(join(WEB, "vite.config.ts")).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const built = spawnSync(nodeBin, [join(repoRoot, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], {
    cwd: WEB,
    encoding: "utf8",
    // vitest sets NODE_ENV=test, which would make Vite build React's development bundle.
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (built.status !== 0) throw new Error(`building the admin app failed:\n${built.stdout}\n${built.stderr}`);
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A desktop-sized page in English with times in UTC, and the problems it reports (see watchProblems). */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-GB", timezoneId: "UTC" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { page, problems: watchProblems(page) };
}

/** Opens `url` signed out, signs in as the owner on the sign-in page it shows, and waits for the page's own heading. */
export async function signIn(page: Page, url: string, heading: string | RegExp): Promise<void> {
  await page.goto(url);
  await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
  await page.getByLabel("E-mail").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** Page errors and console errors (4xx answers are expected: the app shows their message): a test fails on any. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

const CONTROLS = "button|checkbox|combobox|link|listbox|menuitem|option|radio|searchbox|slider|spinbutton|switch|tab|textbox";

/** Controls in the page's accessibility tree that have no name (a screen reader would say only "edit text" or "button"). */
export async function unnamedControls(page: Page): Promise<string[]> {
  const tree = await page.locator("body").ariaSnapshot();
  return tree
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => new RegExp(`^- (${CONTROLS})(:|$| \\[)`).test(line));
}
