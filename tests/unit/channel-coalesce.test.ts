import { applyToChunk, type Chunk, type LoadedChunk } from "@sambung/core/channel/ari-store";
import { coalesce, pack, type Facet } from "@sambung/core/channel/coalesce";
import { monthLength } from "@sambung/core/channel/dates";
import { AriUpdate } from "@sambung/core/channel/model";
import { describe, expect, it } from "vitest";

const chunk = (room: string, rate: string | undefined, month: string): Chunk => ({ room, rate, month, rev: 0, days: Array.from({ length: monthLength(month) }, () => null), revs: {} });
const loaded = (value: Chunk): LoadedChunk => ({ key: `${value.room}#${value.rate ?? "-"}#${value.month}`, chunk: value });
const update = (input: Record<string, unknown>) => AriUpdate.parse(input);

const FACETS: Facet[] = [
  { name: "inventory", level: "room", fields: ["available"], kind: "availability" },
  { name: "roomStatus", level: "room", fields: ["closed"], kind: "availability" },
  { name: "rate", level: "rate", fields: ["rate", "currency"], kind: "rates" },
];

describe("ARI chunks", () => {
  it("apply updates in order, only on the weekdays asked, and count a revision per changed write", () => {
    const march = chunk("DLX", undefined, "2026-03");
    expect(applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-01", to: "2026-03-31", available: 5 })])).toBe(true);
    expect(applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-01", to: "2026-03-31", days: ["sat", "sun"], available: 2 })])).toBe(true);
    expect(march.rev).toBe(2);
    // 2026-03-01 is a Sunday, 03-02 a Monday, 03-07 a Saturday.
    expect(march.days[0]?.available).toBe(2);
    expect(march.days[1]?.available).toBe(5);
    expect(march.days[6]?.available).toBe(2);
    expect(march.revs.available?.[0]).toBe(2);
    expect(march.revs.available?.[1]).toBe(1);
    // Writing what is already there changes nothing.
    expect(applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-02", to: "2026-03-02", available: 5 })])).toBe(false);
    expect(march.rev).toBe(2);
  });

  it("merge equal consecutive dates into one item, across the month boundary", () => {
    const march = chunk("DLX", undefined, "2026-03");
    const april = chunk("DLX", undefined, "2026-04");
    const all = update({ roomType: "DLX", from: "2026-03-20", to: "2026-04-10", available: 3, closed: false });
    applyToChunk(march, [all]);
    applyToChunk(april, [all]);
    const items = coalesce([loaded(april), loaded(march)], () => 0, FACETS);
    expect(items.map(({ facet, from, to, values }) => ({ facet, from, to, values }))).toEqual([
      { facet: "inventory", from: "2026-03-20", to: "2026-04-10", values: { available: 3 } },
      { facet: "roomStatus", from: "2026-03-20", to: "2026-04-10", values: { closed: false } },
    ]);
    expect(items[0]?.chunks).toEqual(["DLX#-#2026-03", "DLX#-#2026-04"]);
  });

  it("send a channel only what changed since the revision it acknowledged, facet by facet", () => {
    const march = chunk("DLX", "BAR", "2026-03");
    applyToChunk(march, [update({ roomType: "DLX", ratePlan: "BAR", from: "2026-03-01", to: "2026-03-31", rate: 100, currency: "IDR" })]);
    const acked = march.rev;
    applyToChunk(march, [update({ roomType: "DLX", ratePlan: "BAR", from: "2026-03-10", to: "2026-03-12", rate: 120, currency: "IDR" })]);
    applyToChunk(march, [update({ roomType: "DLX", ratePlan: "BAR", from: "2026-03-11", to: "2026-03-11", rate: 130, currency: "IDR" })]);
    const items = coalesce([loaded(march)], () => acked, FACETS);
    expect(items.map(({ from, to, values }) => ({ from, to, rate: values.rate }))).toEqual([
      { from: "2026-03-10", to: "2026-03-10", rate: 120 },
      { from: "2026-03-11", to: "2026-03-11", rate: 130 },
      { from: "2026-03-12", to: "2026-03-12", rate: 120 },
    ]);
    // Nothing changed since the latest revision: nothing to send.
    expect(coalesce([loaded(march)], () => march.rev, FACETS)).toEqual([]);
  });

  it("a closure that spares the channel which sold the booking: the others are closed, it keeps its own value until the PMS speaks", () => {
    const march = chunk("DLX", undefined, "2026-03");
    applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-01", to: "2026-03-31", available: 1, closed: false })]);
    const acked = march.rev;
    // The overbooking: availability 0 on the 10th, and a closure that spares channel "bdc".
    applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-10", to: "2026-03-10", available: 0 })]);
    applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-10", to: "2026-03-10", closed: true })], { sparing: "bdc" });
    const sent = (channel: string, since = acked) => coalesce([loaded(march)], () => since, FACETS, channel).map(({ facet, from, to, values }) => ({ facet, from, to, values }));
    expect(sent("expedia")).toEqual([
      { facet: "inventory", from: "2026-03-10", to: "2026-03-10", values: { available: 0 } },
      { facet: "roomStatus", from: "2026-03-10", to: "2026-03-10", values: { closed: true } },
    ]);
    expect(sent("bdc")).toEqual([{ facet: "inventory", from: "2026-03-10", to: "2026-03-10", values: { available: 0 } }]);
    // A channel that had not heard the earlier state yet gets the spared value, not the closure.
    expect(sent("bdc", 0).filter((item) => item.facet === "roomStatus")).toEqual([{ facet: "roomStatus", from: "2026-03-01", to: "2026-03-31", values: { closed: false } }]);

    // The PMS closes the night itself: now every channel, the spared one too, is closed.
    const before = march.rev;
    expect(applyToChunk(march, [update({ roomType: "DLX", from: "2026-03-10", to: "2026-03-10", closed: true })])).toBe(true);
    expect(march.heldOpen).toBeUndefined();
    expect(sent("bdc", before)).toEqual([{ facet: "roomStatus", from: "2026-03-10", to: "2026-03-10", values: { closed: true } }]);
    expect(sent("expedia", before)).toEqual([{ facet: "roomStatus", from: "2026-03-10", to: "2026-03-10", values: { closed: true } }]);
  });

  it("pack items per message kind within the limit", () => {
    const items = [...Array.from({ length: 5 }, () => ({ kind: "availability" })), ...Array.from({ length: 2 }, () => ({ kind: "rates" }))];
    expect(pack(items, 2).map((message) => [message.kind, message.items.length])).toEqual([
      ["availability", 2],
      ["availability", 2],
      ["availability", 1],
      ["rates", 2],
    ]);
  });

  it("refuse updates that mix levels or carry fractional rates", () => {
    expect(AriUpdate.safeParse({ roomType: "DLX", from: "2026-03-01", to: "2026-03-02", rate: 100 }).success).toBe(false);
    expect(AriUpdate.safeParse({ roomType: "DLX", ratePlan: "BAR", from: "2026-03-01", to: "2026-03-02", available: 1 }).success).toBe(false);
    expect(AriUpdate.safeParse({ roomType: "DLX", ratePlan: "BAR", from: "2026-03-01", to: "2026-03-02", rate: 10.5 }).success).toBe(false);
    expect(AriUpdate.safeParse({ roomType: "DLX", from: "2026-03-02", to: "2026-03-01", available: 1 }).success).toBe(false);
    expect(AriUpdate.safeParse({ roomType: "DLX", from: "2026-03-01", to: "2028-06-01", available: 1 }).success).toBe(false);
    expect(AriUpdate.safeParse({ roomType: "DLX", from: "2026-02-30", to: "2026-03-01", available: 1 }).success).toBe(false);
  });
});
