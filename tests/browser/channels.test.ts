import type { ProviderView } from "@sambung/core/provider/record";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJsonChannelFake, type JsonChannelFake } from "../fakes/ota/json-channel.ts";
import { ariSender, datesFrom, DAY_MS, isoDay, JSON_PUSH_SECRET, Model, openAll, RATE, ROOMS, setupChannels, waitInStep, type ChannelSetup } from "../support/channels.ts";
import { startTestRuntime, type TestRuntime } from "../support/runtime.ts";
import { waitFor } from "../support/wait.ts";
import { DESKTOP, ensureWebBuilt, launch, openPage, PHONE, screenshot, signIn, unnamedControls } from "./support.ts";

/**
 * The Channels page in Chromium against three simulated channels (OTA XML, Expedia
 * EQC, a JSON channel) mapped through the API, one of them down while a rate moved,
 * and a fourth channel that is mapped from the page: channels and their state,
 * rooms, a mapping, rate parity, and saving a mapping that sends the channel the
 * property's full state.
 */

const DAYS = 10;
const TIKET_ROOMS: Record<string, string> = { STD: "T-STD", DLX: "T-DLX", STE: "T-STE" };

let hub: TestRuntime;
let setup: ChannelSetup;
let tiket: JsonChannelFake;
let tiketId: string;
let browser: Browser;
let page: Page;
let problems: string[];
let day: (offset: number) => string;

beforeAll(async () => {
  ensureWebBuilt();
  [hub, browser] = await Promise.all([startTestRuntime({ allowPrivateUrls: true }), launch()]);
  setup = await setupChannels(hub);
  tiket = await startJsonChannelFake({ apiKey: "tkt-key", hotelCode: "TKT-5", rooms: Object.fromEntries(Object.values(TIKET_ROOMS).map((room) => [room, ["T-BAR"]])), maxItems: 50 });
  // The same JSON channel API as Traveloka's record, not mapped yet: the test maps it from the page.
  const traveloka = await setup.api<ProviderView>("GET", `/api/admin/providers/${setup.json.providerId}`);
  const created = await setup.api<{ id: string }>("POST", "/api/admin/providers", {
    type: "ota",
    name: "Tiket.com",
    apiFormat: "json_rest_channel",
    baseUrl: tiket.url,
    testMode: false,
    secrets: { apiKey: "tkt-key", webhookSecret: JSON_PUSH_SECRET },
    config: traveloka.body.config,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  tiketId = created.body.id;

  const startMs = Math.floor(hub.clock.now() / DAY_MS) * DAY_MS;
  day = (offset) => isoDay(startMs + offset * DAY_MS);
  const dates = datesFrom(startMs, DAYS);
  const model = new Model();
  const send = ariSender(hub, setup, model);
  await send(openAll(day(0), day(DAYS - 1), 4));
  await waitInStep(model, setup.channels, dates, "in step");
  // Expedia is down while the deluxe rate moves: it keeps the old rate, the others take the new one.
  setup.expedia.state.down = true;
  await send([{ roomType: "DLX", ratePlan: RATE, from: day(2), to: day(4), rate: 1_050_000, currency: "IDR" }]);
  await waitInStep(model, [setup.booking, setup.json], dates, "to follow");
  await waitFor(async () => {
    const { body } = await setup.api<{ channels: { provider: { id: string }; status: { failingSince?: string } }[] }>("GET", `/api/admin/channels?locationId=${setup.locationId}`);
    return body.channels.find((candidate) => candidate.provider.id === setup.expedia.providerId)?.status.failingSince;
  }, "Expedia to be marked failing");

  ({ page, problems } = await openPage(browser));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([hub?.close(), setup?.close(), tiket?.close()]);
});

const tab = (name: string) => page.getByRole("tab", { name, exact: true });
const row = (name: RegExp) => page.getByRole("row", { name });

describe("the Channels page", () => {
  it("shows each channel with its property code and state", async () => {
    await signIn(page, `${hub.url}/channels`, "Channels");
    await row(/Booking\.com/).getByText("8080").waitFor();
    await row(/Booking\.com/).getByText("In step").waitFor();
    await row(/Traveloka/).getByText("TVL-77").waitFor();
    await row(/Expedia/).getByText(/Failing since/).waitFor();
    await row(/Tiket\.com/).getByText("Not mapped").waitFor();
    expect(await row(/Tiket\.com/).getByRole("button", { name: /Pull bookings/ }).count()).toBe(0);
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "channels-desktop");
    await page.setViewportSize(PHONE);
    await screenshot(page, "channels-phone");
    await page.setViewportSize(DESKTOP);
  });

  it("moves between its views from the keyboard, and shows the rooms and a channel's mapping", async () => {
    await tab("Channels").focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => new URL(page.url()).searchParams.get("view")).toBe("rooms");
    expect(await tab("Rooms").getAttribute("aria-selected")).toBe("true");
    const lines = page.getByLabel("Room types");
    await expect.poll(() => lines.inputValue()).toContain("DLX | DLX room | BAR");
    expect(await page.getByLabel("Currency of rates").inputValue()).toBe("IDR");
    expect(await unnamedControls(page)).toEqual([]);

    await tab("Rooms").focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => new URL(page.url()).searchParams.get("view")).toBe("mapping");
    await page.getByRole("button", { name: /Channel/ }).click();
    await page.getByRole("option", { name: "Booking.com" }).click();
    await expect.poll(() => page.getByLabel("Property code on the channel").inputValue()).toBe("8080");
    expect(await page.getByLabel("Channel code for DLX room", { exact: true }).inputValue()).toBe("1002");
    expect(await page.getByLabel("Channel code for DLX room · Best available").inputValue()).toBe("50001");
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "channels-mapping-desktop");
  });

  it("shows rate parity: the days Expedia still holds the old deluxe rate", async () => {
    await tab("Mapping").focus();
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => new URL(page.url()).searchParams.get("view")).toBe("parity");
    const table = page.getByRole("table", { name: "Rate parity" });
    await table.waitFor();
    await expect.poll(() => table.getByRole("row").count()).toBe(1 + 3);
    for (const offset of [2, 3, 4]) {
      const disagreement = table.getByRole("row", { name: new RegExp(day(offset)) });
      await disagreement.getByText("DLX · BAR").waitFor();
      await disagreement.getByText(/Expedia: .*1,000,000/).waitFor();
      await disagreement.getByText(/Booking\.com: .*1,050,000/).waitFor();
    }
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "channels-parity-desktop");
  });

  it("saves a mapping made on the page, and the channel is sent the property's state", async () => {
    await tab("Mapping").click();
    await page.getByRole("button", { name: /Channel/ }).click();
    await page.getByRole("option", { name: "Tiket.com" }).click();
    expect(await page.getByRole("button", { name: "Show the channel's rooms" }).isDisabled()).toBe(true);
    await page.getByLabel("Property code on the channel").fill("TKT-5");
    for (const room of ROOMS) {
      await page.getByLabel(`Channel code for ${room} room`, { exact: true }).fill(TIKET_ROOMS[room] ?? "");
      await page.getByLabel(`Channel code for ${room} room · Best available`).fill("T-BAR");
    }
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").getByText("Mapping saved").waitFor();

    const mapping = await setup.api<{ hotelCode: string; rooms: { roomType: string; code: string; ratePlans: { ratePlan: string; code: string }[] }[] }>(
      "GET",
      `/api/admin/channels/${tiketId}/mapping?locationId=${setup.locationId}`,
    );
    expect(mapping.status).toBe(200);
    expect(mapping.body.hotelCode).toBe("TKT-5");
    expect(mapping.body.rooms.map((room) => [room.roomType, room.code, room.ratePlans.map((plan) => plan.code).join()]).sort()).toEqual([
      ["DLX", "T-DLX", "T-BAR"],
      ["STD", "T-STD", "T-BAR"],
      ["STE", "T-STE", "T-BAR"],
    ]);
    // The new channel gets the full state, the moved deluxe rate included.
    await waitFor(() => tiket.state.cell("T-DLX", "T-BAR", day(3))?.rate === 1_050_000 && tiket.state.cell("T-STD", undefined, day(9))?.available === 4, "Tiket.com to get the state", 15_000);

    // Mapped now: the channel's own room list can be shown.
    const show = page.getByRole("button", { name: "Show the channel's rooms" });
    await expect.poll(() => show.isDisabled()).toBe(false);
    await show.click();
    await page.getByText("Room T-STE").waitFor();
    await tab("Channels").click();
    await row(/Tiket\.com/).getByText("TKT-5").waitFor();
    expect(problems).toEqual([]);
  });
});
