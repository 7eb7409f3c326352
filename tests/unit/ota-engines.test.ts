import type { MappedItem, OtaContext } from "@sambung/core/format/ota/engine";
import { eqcXml } from "@sambung/core/format/ota/eqc";
import { jsonRestChannel } from "@sambung/core/format/ota/json-channel";
import { opentravelXml } from "@sambung/core/format/ota/opentravel";
import type { HttpRequest, HttpResponse, Ports } from "@sambung/core/port";
import type { Provider } from "@sambung/core/provider/record";
import { ProviderError } from "@sambung/core/resilience/errors";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { providerRecord } from "../support/provider-record.ts";

function provider(apiFormat: Provider["apiFormat"], config: Record<string, unknown>): Provider {
  return providerRecord({ type: "ota", name: "Test channel", slug: "test-channel", apiFormat, baseUrl: "https://channel.example", config });
}

const OTA = provider("opentravel_xml", {
  auth: { method: "basic" },
  endpoints: {
    availability: { method: "POST", path: "/ota/OTA_HotelAvailNotif" },
    rates: { method: "POST", path: "/ota/OTA_HotelRateAmountNotif" },
    reservations: { method: "GET", path: "/ota/OTA_HotelResNotif" },
    ackReservations: { method: "POST", path: "/ota/OTA_HotelResNotif" },
  },
});
const EQC = provider("eqc_xml", { endpoints: { ar: { path: "/eqc/ar" }, br: { path: "/eqc/br" }, bc: { path: "/eqc/bc" } } });
const JSON_CHANNEL = provider("json_rest_channel", {
  auth: { method: "header_key", header: "x-api-key" },
  endpoints: { ari: { method: "POST", path: "/ari", body: { updates: "{{items}}" } } },
  ari: { item: { room: "{{item.roomCode}}", from: "{{item.from}}", to: "{{item.to}}", allotment: "{{item.available}}" }, okPath: "success" },
});

function context(record: Provider, answer: (request: HttpRequest) => Partial<HttpResponse>): OtaContext & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    ports: { clock: { now: () => Date.parse("2026-03-01T00:00:00Z") } } as unknown as Ports,
    provider: record,
    secrets: { username: "user", password: "secret", apiKey: "key" },
    baseUrl: record.baseUrl,
    hotelCode: "H1",
    send: async (request) => {
      sent.push(request);
      return { status: 200, headers: {}, body: "", latencyMs: 1, ...answer(request) };
    },
  };
}

const inventory: MappedItem = { facet: "inventory", kind: "availability", room: "DLX", roomCode: "R1", from: "2026-03-01", to: "2026-03-05", values: { available: 4 }, chunks: [] };
const rate: MappedItem = { facet: "rate", kind: "rates", room: "DLX", rate: "BAR", roomCode: "R1", rateCode: "P1", from: "2026-03-01", to: "2026-03-05", values: { rate: 12550, currency: "USD" }, chunks: [] };

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_" });

describe("opentravel_xml", () => {
  it("builds OTA_HotelAvailNotifRQ and OTA_HotelRateAmountNotifRQ as the guides do", async () => {
    const ok = context(OTA, (request) => ({ body: request.url.endsWith("RateAmountNotif") ? "<OTA_HotelRateAmountNotifRS><Success/></OTA_HotelRateAmountNotifRS>" : "<OTA_HotelAvailNotifRS><Success/></OTA_HotelAvailNotifRS>" }));
    await opentravelXml.sendAri(ok, "availability", [inventory, { ...rate, facet: "stay", kind: "availability", values: { minLos: 2, maxLos: 5 } }]);
    await opentravelXml.sendAri(ok, "rates", [rate]);
    expect(ok.sent[0]?.headers?.authorization).toBe(`Basic ${Buffer.from("user:secret").toString("base64")}`);
    const avail = parser.parse(String(ok.sent[0]?.body)).OTA_HotelAvailNotifRQ;
    expect(avail["@_xmlns"]).toBe("http://www.opentravel.org/OTA/2003/05");
    expect(avail.AvailStatusMessages["@_HotelCode"]).toBe("H1");
    expect(avail.AvailStatusMessages.AvailStatusMessage[0]).toEqual({ "@_BookingLimit": "4", StatusApplicationControl: { "@_Start": "2026-03-01", "@_End": "2026-03-05", "@_InvTypeCode": "R1" } });
    expect(avail.AvailStatusMessages.AvailStatusMessage[1].LengthsOfStay.LengthOfStay).toEqual([
      { "@_MinMaxMessageType": "SetMinLOS", "@_Time": "2", "@_TimeUnit": "Day" },
      { "@_MinMaxMessageType": "SetMaxLOS", "@_Time": "5", "@_TimeUnit": "Day" },
    ]);
    const rates = parser.parse(String(ok.sent[1]?.body)).OTA_HotelRateAmountNotifRQ;
    expect(rates.RateAmountMessages.RateAmountMessage.Rates.Rate.BaseByGuestAmts.BaseByGuestAmt).toEqual({ "@_AmountAfterTax": "125.50", "@_CurrencyCode": "USD" });
  });

  it("turns <Errors>, non-XML, 5xx and unexpected answers into clear provider errors", async () => {
    const refused = await failure(opentravelXml.sendAri(context(OTA, () => ({ body: '<OTA_HotelAvailNotifRS><Errors><Error Type="3" Code="392" ShortText="Invalid hotel code"/></Errors></OTA_HotelAvailNotifRS>' })), "availability", [inventory]));
    expect(refused.code).toBe("rejected");
    expect(refused.message).toMatch(/code 392 Invalid hotel code/);
    const html = await failure(opentravelXml.sendAri(context(OTA, () => ({ body: "<html><body>Gateway" })), "availability", [inventory]));
    expect(html.code).toBe("error");
    expect(html.message).toMatch(/not XML/);
    const down = await failure(opentravelXml.sendAri(context(OTA, () => ({ status: 503, body: "Service Unavailable" })), "availability", [inventory]));
    expect(down.code).toBe("unavailable");
    expect(down.retryable).toBe(true);
    const odd = await failure(opentravelXml.sendAri(context(OTA, () => ({ body: "<Something/>" })), "availability", [inventory]));
    expect(odd.message).toMatch(/unexpected shape: <Something>/);
    const empty = await failure(opentravelXml.sendAri(context(OTA, () => ({ body: "<OTA_HotelAvailNotifRS/>" })), "availability", [inventory]));
    expect(empty.message).toMatch(/neither <Success\/> nor <Errors>/);
  });

  it("reads reservations from OTA_HotelResNotifRQ", async () => {
    const body = `<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05"><HotelReservations>
      <HotelReservation CreateDateTime="2026-02-01T10:00:00" ResStatus="Commit"><UniqueID Type="14" ID="312637549"/>
        <RoomStays><RoomStay><RoomRates><RoomRate RoomTypeCode="R1" RatePlanCode="P1" NumberOfUnits="2"/></RoomRates>
          <GuestCounts><GuestCount AgeQualifyingCode="10" Count="2"/></GuestCounts><TimeSpan Start="2026-03-01" End="2026-03-03"/>
          <Total AmountAfterTax="251.00" CurrencyCode="USD"/></RoomStay></RoomStays>
        <ResGuests><ResGuest><Profiles><ProfileInfo><Profile><Customer><PersonName><GivenName>Ana</GivenName><Surname>Sari</Surname></PersonName><Email>ana@example.com</Email></Customer></Profile></ProfileInfo></Profiles></ResGuest></ResGuests>
        <ResGlobalInfo><Total AmountAfterTax="251.00" CurrencyCode="USD"/><BasicPropertyInfo HotelCode="H1"/></ResGlobalInfo>
      </HotelReservation></HotelReservations></OTA_HotelResNotifRQ>`;
    const bookings = await opentravelXml.pullBookings(context(OTA, () => ({ body })));
    expect(bookings).toEqual([
      expect.objectContaining({
        bookingId: "312637549",
        status: "new",
        version: "2026-02-01T10:00:00.000Z",
        arrival: "2026-03-01",
        departure: "2026-03-03",
        hotelCode: "H1",
        guest: expect.objectContaining({ name: "Ana Sari", email: "ana@example.com" }),
        rooms: [expect.objectContaining({ roomCode: "R1", rateCode: "P1", quantity: 2, adults: 2, amount: 25100 })],
        total: { amount: 25100, currency: "USD" },
        paymentModel: "channel_collect",
      }),
    ]);
    const broken = await failure(opentravelXml.pullBookings(context(OTA, () => ({ body: '{"reservations": []}' }))));
    expect(broken.message).toMatch(/not XML/);
  });

  it("asks with OTA_ReadRQ and acknowledges with OTA_NotifReportRQ where the record says so (SiteMinder style)", async () => {
    const record = provider("opentravel_xml", {
      pos: true,
      acknowledgeWith: "OTA_NotifReportRQ",
      endpoints: { reservations: { method: "POST", path: "/pull" }, ackReservations: { method: "POST", path: "/ack" } },
    });
    const exchange = context(record, (request) => ({
      body: request.url.endsWith("/pull")
        ? '<OTA_ResRetrieveRS><Success/><ReservationsList><HotelReservation ResStatus="Cancelled" LastModifyDateTime="2026-02-02T08:00:00Z"><UniqueID ID="R-9"/></HotelReservation></ReservationsList></OTA_ResRetrieveRS>'
        : "<OTA_NotifReportRS><Success/></OTA_NotifReportRS>",
    }));
    const bookings = await opentravelXml.pullBookings(exchange);
    expect(bookings.map(({ bookingId, status, version }) => ({ bookingId, status, version }))).toEqual([{ bookingId: "R-9", status: "cancelled", version: "2026-02-02T08:00:00.000Z" }]);
    const read = parser.parse(String(exchange.sent[0]?.body)).OTA_ReadRQ;
    expect(read.POS.Source.RequestorID).toEqual({ "@_ID": "user", "@_MessagePassword": "secret" });
    expect(read.ReadRequests.HotelReadRequest["@_HotelCode"]).toBe("H1");
    await opentravelXml.acknowledge(exchange, bookings);
    const report = parser.parse(String(exchange.sent[1]?.body)).OTA_NotifReportRQ;
    expect(report.Success).toBe("");
    expect(report.NotifDetails.HotelNotifReport.HotelReservations.HotelReservation.UniqueID).toEqual({ "@_Type": "14", "@_ID": "R-9" });
  });
});

describe("eqc_xml", () => {
  it("sends AvailRateUpdateRQ with the credentials in the message", async () => {
    const ok = context(EQC, () => ({ body: '<AvailRateUpdateRS xmlns="http://www.expediaconnect.com/EQC/AR/2007/02"><Success/></AvailRateUpdateRS>' }));
    await eqcXml.sendAri(ok, "ar", [inventory, rate]);
    const request = parser.parse(String(ok.sent[0]?.body)).AvailRateUpdateRQ;
    expect(request["@_xmlns"]).toBe("http://www.expediaconnect.com/EQC/AR/2011/06");
    expect(request.Authentication).toEqual({ "@_username": "user", "@_password": "secret" });
    expect(request.Hotel).toEqual({ "@_id": "H1" });
    expect(request.AvailRateUpdate[0]).toEqual({ DateRange: { "@_from": "2026-03-01", "@_to": "2026-03-05" }, RoomType: { "@_id": "R1", Inventory: { "@_totalInventoryAvailable": "4" } } });
    expect(request.AvailRateUpdate[1].RoomType.RatePlan).toEqual({ "@_id": "P1", Rate: { "@_currency": "USD", PerDay: { "@_rate": "125.50" } } });
  });

  it("turns <Error code> and other answers into clear provider errors", async () => {
    const refused = await failure(eqcXml.sendAri(context(EQC, () => ({ body: '<AvailRateUpdateRS><Error code="1001">Authentication error</Error></AvailRateUpdateRS>' })), "ar", [inventory]));
    expect(refused.code).toBe("rejected");
    expect(refused.message).toMatch(/code 1001: Authentication error/);
    const json = await failure(eqcXml.sendAri(context(EQC, () => ({ body: '{"ok":true}' })), "ar", [inventory]));
    expect(json.message).toMatch(/not XML/);
    const down = await failure(eqcXml.sendAri(context(EQC, () => ({ status: 502, body: "<html/>" })), "ar", [inventory]));
    expect(down.retryable).toBe(true);
  });

  it("reads bookings from BookingRetrievalRS, telling the payment models apart", async () => {
    const body = `<BookingRetrievalRS xmlns="http://www.expediaconnect.com/EQC/BR/2014/01"><Bookings>
      <Booking id="619" type="Book" createDateTime="2013-12-12T00:01:00Z" source="A-Hotels.com" status="pending"><Hotel id="H1"/>
        <RoomStay roomTypeID="R1" ratePlanID="P1"><StayDate arrival="2014-01-01" departure="2014-01-02"/><GuestCount adult="2"/>
          <Total amountAfterTaxes="124.29" amountOfTaxes="14.30" currency="USD"/>
          <PaymentCard cardCode="VI" cardNumber="****4327" expireDate="1216"><CardHolder name="Expedia VirtualCard"/></PaymentCard></RoomStay>
        <PrimaryGuest><Name givenName="John" surname="Smith"/></PrimaryGuest></Booking>
      <Booking id="620" type="Cancel" createDateTime="2013-12-13T00:01:00Z" status="pending" confirmNumber="X1"><Hotel id="H1"/>
        <RoomStay roomTypeID="0" ratePlanID="0"><StayDate arrival="2014-01-01" departure="2014-01-02"/><Total amountAfterTaxes="0.00"/></RoomStay>
        <PrimaryGuest><Name givenName="Jane" surname="Doe"/></PrimaryGuest><SpecialRequest code="5">Hotel Collect Booking</SpecialRequest></Booking>
    </Bookings></BookingRetrievalRS>`;
    const bookings = await eqcXml.pullBookings(context(EQC, () => ({ body })));
    expect(bookings.map(({ bookingId, status, paymentModel, rooms, total }) => ({ bookingId, status, paymentModel, rooms: rooms.length, total }))).toEqual([
      { bookingId: "619", status: "new", paymentModel: "virtual_card", rooms: 1, total: { amount: 12429, currency: "USD" } },
      { bookingId: "620", status: "cancelled", paymentModel: "hotel_collect", rooms: 0, total: undefined },
    ]);
    expect((bookings[1]?.version ?? "") > (bookings[0]?.version ?? "")).toBe(true);
  });
});

describe("json_rest_channel", () => {
  it("renders items from the record's template and reads the channel's failure flag", async () => {
    const ok = context(JSON_CHANNEL, () => ({ body: '{"success":true}' }));
    await jsonRestChannel.sendAri(ok, "ari", [inventory]);
    expect(ok.sent[0]?.headers?.["x-api-key"]).toBe("key");
    expect(JSON.parse(String(ok.sent[0]?.body))).toEqual({ updates: [{ room: "R1", from: "2026-03-01", to: "2026-03-05", allotment: 4 }] });
    const refused = await failure(jsonRestChannel.sendAri(context(JSON_CHANNEL, () => ({ body: '{"success":false,"error":{"message":"unknown room R1"}}' })), "ari", [inventory]));
    expect(refused.code).toBe("rejected");
    expect(refused.message).toMatch(/unknown room R1/);
    const garbage = await failure(jsonRestChannel.sendAri(context(JSON_CHANNEL, () => ({ body: "<html>" })), "ari", [inventory]));
    expect(garbage.message).toMatch(/not JSON/);
    const bad = await failure(jsonRestChannel.sendAri(context(JSON_CHANNEL, () => ({ status: 422, body: '{"error":{"message":"dates out of range"}}' })), "ari", [inventory]));
    expect(bad.code).toBe("rejected");
    expect(bad.message).toMatch(/dates out of range/);
  });
});
