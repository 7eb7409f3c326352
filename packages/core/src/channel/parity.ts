import { z } from "zod";
import { asRecord } from "../format/http-auth.ts";
import { shopRates } from "../format/rate-shopper/json.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { NoProviderMappedError } from "../provider/features.ts";
import * as Resilience from "../resilience/index.ts";
import { loadChunks } from "./ari-store.ts";
import { dayOf, isIsoDate, isoOf, monthOf, monthStart } from "./dates.ts";
import { ackPk, chunkKey, perChannel } from "./keys.ts";
import { guardHosts } from "./push.ts";
import { codeMap, connectionsOf, getRooms } from "./setup.ts";

/** The feature a rate shopper is mapped to (Integrations → Features). */
export const RATE_SHOPPER_FEATURE = "channel.rate_shopper";

export const ParityQuery = z
  .object({
    locationId: z.string().min(1),
    from: z.string().refine(isIsoDate, "a date as YYYY-MM-DD"),
    to: z.string().refine(isIsoDate, "a date as YYYY-MM-DD"),
  })
  .refine((query) => !isIsoDate(query.from) || !isIsoDate(query.to) || (dayOf(query.to) >= dayOf(query.from) && dayOf(query.to) - dayOf(query.from) <= 366), {
    message: "to must be on or after from, at most a year later",
    path: ["to"],
  });

interface Quote {
  providerId: string;
  name: string;
  source: "acknowledged" | "rate_shopper";
  rate?: number;
  currency?: string;
}

export interface ParityRow {
  roomType: string;
  ratePlan: string;
  date: string;
  pms?: { rate?: number; currency?: string };
  quotes: Quote[];
}

/**
 * Rate parity: per (room, rate, date), the rate each channel last acknowledged and,
 * where a rate shopper is mapped, what it saw on each channel; rows where they
 * disagree (with each other or with the property's current rate).
 */
export async function parity(ports: Ports, tenantId: string, input: z.input<typeof ParityQuery>) {
  const query = ParityQuery.parse(input);
  const from = dayOf(query.from);
  const to = dayOf(query.to);
  const rooms = await getRooms(ports, tenantId, query.locationId);
  const connections = await connectionsOf(ports, tenantId, query.locationId);
  const providers = new Map(await Promise.all(connections.map(async (connection) => [connection.providerId, await Provider.get(ports, tenantId, connection.providerId)] as const)));
  const months = new Set<string>();
  for (let day = from; day <= to; day += 1) months.add(monthOf(day));

  const rows = new Map<string, ParityRow>();
  const rowOf = (roomType: string, ratePlan: string, day: number) => {
    const key = `${roomType}#${ratePlan}#${day}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { roomType, ratePlan, date: isoOf(day), quotes: [] }));
    return row;
  };
  for (const room of rooms.roomTypes) {
    for (const plan of room.ratePlans) {
      const keys = [...months].map((month) => chunkKey(room.id, plan.id, month));
      for (const { chunk } of await loadChunks(ports, tenantId, query.locationId, keys)) {
        const start = monthStart(chunk.month);
        chunk.days.forEach((cell, index) => {
          const day = start + index;
          if (day >= from && day <= to && cell?.rate !== undefined) rowOf(room.id, plan.id, day).pms = { rate: cell.rate, currency: cell.currency };
        });
      }
      for (const connection of connections) {
        if (!codeMap(connection).rate(room.id, plan.id)) continue;
        const name = providers.get(connection.providerId)?.name ?? connection.providerId;
        for (const key of keys) {
          const ack = await ports.store.get(ackPk(tenantId, query.locationId), perChannel(connection.providerId, key));
          if (!ack) continue;
          const rates = (ack.data.rate as (number | null)[] | undefined) ?? [];
          const currencies = (ack.data.currency as (string | null)[] | undefined) ?? [];
          const start = monthStart(key.split("#")[2] ?? "");
          rates.forEach((rate, index) => {
            const day = start + index;
            if (day < from || day > to || rate === null) return;
            rowOf(room.id, plan.id, day).quotes.push({ providerId: connection.providerId, name, source: "acknowledged", rate, currency: currencies[index] ?? undefined });
          });
        }
      }
    }
  }
  const shopper = await shopped(ports, tenantId, query.locationId, query.from, query.to, connections, providers);
  for (const quote of shopper.quotes) rowOf(quote.roomType, quote.ratePlan, dayOf(quote.date)).quotes.push(quote.quote);

  const disagreements = [...rows.values()].filter((row) => {
    const values = new Set(row.quotes.map((quote) => `${quote.rate}:${quote.currency}`));
    if (row.pms?.rate !== undefined && row.quotes.length > 0) values.add(`${row.pms.rate}:${row.pms.currency}`);
    return values.size > 1;
  });
  disagreements.sort((a, b) => a.date.localeCompare(b.date) || a.roomType.localeCompare(b.roomType) || a.ratePlan.localeCompare(b.ratePlan));
  return { locationId: query.locationId, from: query.from, to: query.to, compared: rows.size, disagreements, rateShopper: shopper.status };
}

/**
 * What a mapped rate shopper reports (format json_rate_shopper: ../format/rate-shopper/json.ts
 * reads the record's request and answer paths). Its `channels` map the shopper's channel
 * names to our providers (their slug or the preset they were made from); `match`
 * (`{ roomType, ratePlan }`, our codes) says which of our rates a shopper that quotes
 * one rate per channel and date stands for. Whatever goes wrong is the status, never a 500.
 */
async function shopped(
  ports: Ports,
  tenantId: string,
  locationId: string,
  from: string,
  to: string,
  connections: Awaited<ReturnType<typeof connectionsOf>>,
  providers: Map<string, Awaited<ReturnType<typeof Provider.get>>>,
): Promise<{ status: string; quotes: { roomType: string; ratePlan: string; date: string; quote: Quote }[] }> {
  try {
    const result = await Resilience.call(ports, {
      tenantId,
      locationId,
      featureKey: RATE_SHOPPER_FEATURE,
      action: "parity.shop",
      idempotent: true,
      run: async (provider, attempt) => {
        await guardHosts(ports, provider);
        const hotelCode = String(asRecord(provider.config.hotelCodes)[locationId] ?? locationId);
        const context = { ports, provider, secrets: await Provider.secretsOf(ports, provider), baseUrl: Provider.baseUrlOf(provider) };
        return { provider, shopped: await shopRates(context, (request) => attempt.fetch(request, { throwOnError: false }), { hotelCode, from, to }) };
      },
    });
    const shopper = result.value.provider;
    const aliases = asRecord(shopper.config.channels);
    const match = asRecord(shopper.config.match);
    const fixed = typeof match.roomType === "string" && typeof match.ratePlan === "string" ? { roomType: match.roomType, ratePlan: match.ratePlan } : undefined;
    const quotes: { roomType: string; ratePlan: string; date: string; quote: Quote }[] = [];
    for (const rate of result.value.shopped.rates) {
      const wanted = String(aliases[rate.channel] ?? rate.channel);
      const connection = connections.find((candidate) => {
        const provider = providers.get(candidate.providerId);
        return provider?.slug === wanted || provider?.presetId === wanted;
      });
      if (!connection) continue;
      const ours = rate.room === undefined && fixed ? fixed : codeMap(connection).fromChannel(rate.room ?? "", rate.ratePlan);
      if (!ours.roomType || !ours.ratePlan) continue;
      const name = `${providers.get(connection.providerId)?.name ?? wanted} (${shopper.name})`;
      quotes.push({ roomType: ours.roomType, ratePlan: ours.ratePlan, date: rate.date, quote: { providerId: connection.providerId, name, source: "rate_shopper", rate: rate.rate, currency: rate.currency } });
    }
    const skipped = result.value.shopped.skippedDates;
    return { status: `${shopper.name}: ${quotes.length} rates${skipped > 0 ? `; ${skipped} later dates not asked (limits.maxDates)` : ""}`, quotes };
  } catch (error) {
    if (error instanceof NoProviderMappedError) return { status: "no rate shopper mapped", quotes: [] };
    return { status: `rate shopper failed: ${error instanceof Error ? error.message : String(error)}`, quotes: [] };
  }
}
