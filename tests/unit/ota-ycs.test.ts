import type { OtaContext } from "@sambung/core/format/ota/engine";
import { opentravelXml } from "@sambung/core/format/ota/opentravel";
import { windowsOf } from "@sambung/core/format/ota/ycs";
import type { HttpRequest, HttpResponse, Ports } from "@sambung/core/port";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { providerRecord } from "../support/provider-record.ts";

/** The `ycs` booking dialect of opentravel_xml (Agoda Supply API docs, "Booking Retrieval"). */

const NOW = Date.parse("2026-03-01T12:00:00Z");
const DAY = 86_400_000;
const YCS = providerRecord({
  type: "ota",
  apiFormat: "opentravel_xml",
  baseUrl: "https://ota.example",
  config: {
    auth: { method: "basic" },
    hosts: { ycs: { production: "https://ycs.example" } },
    bookings: { dialect: "ycs", paymentModelMap: { "2": "hotel_collect" } },
    endpoints: {
      bookingList: { method: "POST", path: "/api", host: "ycs", auth: { method: "none" }, query: { apiKey: "{{secrets.apiKey}}" } },
      bookingDetail: { method: "POST", path: "/api", host: "ycs", auth: { method: "none" }, query: { apiKey: "{{secrets.apiKey}}" } },
    },
  },
});

const LIST = `<result timestamp="1"><properties count="1"><property id="H1"><bookings>
  <booking booking_id="473966145" booking_date="2026-03-01T14:32:00+07:00" last_action="2026-03-01T14:51:45+07:00" arrival="2026-03-24" departure="2026-03-25" status="AmendBooking" acknowledge="0"/>
</bookings></property></properties></result>`;
const DETAIL = `<result timestamp="1"><bookings count="1" iataid="96637800">
  <booking property_id="H1" booking_id="473966145" booking_date="2026-03-01T14:32:00+07:00" last_action="2026-03-01T14:51:45+07:00" arrival="2026-03-24" departure="2026-03-25" status="AmendBooking" acknowledge="0" room_id="8179856" rateplan_id="937982" room_count="2" adults="2" children="1">
    <customer first_name="agoda" last_name="test" nationality="Thailand"/>
    <prices currency="USD" sell_inclusive_amt="269.28"><price date="2026-03-24" sell_inclusive_amt="269.28" type="Room"/></prices>
    <paymentmodel>2</paymentmodel>
  </booking></bookings></result>`;

function context(answer: (request: HttpRequest, type: string) => Partial<HttpResponse>, since?: string): OtaContext & { sent: { request: HttpRequest; type: string; body: Record<string, unknown> }[] } {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" });
  const sent: { request: HttpRequest; type: string; body: Record<string, unknown> }[] = [];
  return {
    sent,
    ports: { clock: { now: () => NOW } } as unknown as Ports,
    provider: YCS,
    secrets: { username: "user", password: "secret", apiKey: "ycs-key" },
    baseUrl: YCS.baseUrl,
    hotelCode: "H1",
    ...(since ? { since } : {}),
    send: async (request) => {
      const body = (parser.parse(String(request.body)) as { request: Record<string, unknown> }).request;
      const type = String(body["@_type"]);
      sent.push({ request, type, body });
      return { status: 200, headers: {}, body: "", latencyMs: 1, ...answer(request, type) };
    },
  };
}

describe("ycs booking windows", () => {
  const provider = YCS;

  it("starts 24 hours back the first time, and from the last stored pull less 10 minutes after that", () => {
    expect(windowsOf(provider, undefined, NOW)).toEqual([{ from: NOW - DAY, to: NOW }]);
    expect(windowsOf(provider, new Date(NOW - 5 * 60_000).toISOString(), NOW)).toEqual([{ from: NOW - 15 * 60_000, to: NOW }]);
  });

  it("splits a long gap into windows of at most 90 days, never starting more than 740 days back", () => {
    const windows = windowsOf(provider, new Date(NOW - 1000 * DAY).toISOString(), NOW);
    expect(windows[0]?.from).toBeGreaterThan(NOW - 740 * DAY);
    expect(windows.every((window) => window.to - window.from <= 90 * DAY)).toBe(true);
    expect(windows.at(-1)?.to).toBe(NOW);
    for (let index = 1; index < windows.length; index += 1) expect(windows[index]?.from).toBe(windows[index - 1]?.to);
  });
});

describe("ycs booking pull", () => {
  it("lists, then asks the details, with the key in the query and no Basic credentials", async () => {
    const ctx = context((_request, type) => ({ body: type === "3" ? LIST : DETAIL }), new Date(NOW - 60_000).toISOString());
    const bookings = await opentravelXml.pullBookings(ctx);
    expect(ctx.sent.map((entry) => entry.type)).toEqual(["3", "4"]);
    const [list, detail] = ctx.sent;
    expect(list?.request.url).toBe("https://ycs.example/api?apiKey=ycs-key");
    expect(list?.request.headers?.authorization).toBeUndefined();
    expect(list?.request.headers).toBeDefined();
    expect(list?.body.criteria).toEqual({ "@_from": "2026-03-01T11:49:00+00:00", "@_to": "2026-03-01T12:00:00+00:00", property: { "@_id": "H1" } });
    expect(detail?.body.criteria).toEqual({ "@_language": "EN", property: { "@_id": "H1", booking: { "@_id": "473966145" } } });
    expect(bookings).toEqual([
      expect.objectContaining({
        bookingId: "473966145",
        version: "2026-03-01T07:51:45.000Z",
        status: "modified",
        hotelCode: "H1",
        arrival: "2026-03-24",
        departure: "2026-03-25",
        guest: expect.objectContaining({ name: "agoda test" }),
        rooms: [{ roomCode: "8179856", rateCode: "937982", quantity: 2, adults: 2, children: 1, amount: 26_928 }],
        total: { amount: 26_928, currency: "USD" },
        paymentModel: "hotel_collect",
      }),
    ]);
    expect(opentravelXml.acknowledges?.(YCS)).toBe(false);
  });

  it("turns Agoda's documented errors and unreadable answers into words", async () => {
    const refused = `<result TUID="x" timestamp="1"><errors><property id="H1"><error code="1201" description="API key is not authorised for Property id: H1"/></property></errors></result>`;
    await expect(opentravelXml.pullBookings(context(() => ({ status: 400, body: refused })))).rejects.toThrow(/HTTP 400: code 1201 API key is not authorised for Property id: H1 \(property H1\)/);
    await expect(opentravelXml.pullBookings(context(() => ({ body: refused })))).rejects.toThrow(/refused the message: code 1201/);
    await expect(opentravelXml.pullBookings(context(() => ({ body: "not xml at all" })))).rejects.toThrow(/not XML/);
    const noDates = DETAIL.replace(' arrival="2026-03-24" departure="2026-03-25" status="AmendBooking" acknowledge="0" room_id', ' status="AmendBooking" room_id');
    await expect(opentravelXml.pullBookings(context((_request, type) => ({ body: type === "3" ? LIST : noDates })))).rejects.toThrow(/booking 473966145 has no arrival \/ departure date/);
  });
});
