import * as Event from "../event/index.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import { providerPk, providerSk } from "../provider/keys.ts";
import { list as listProviders } from "../provider/index.ts";
import { Provider } from "../provider/record.ts";
import { Breakers, displayState, type BreakerStatus } from "../resilience/breaker.ts";
import { activePk, HOUR_MS, readWindow, statsOf, type LastError, type Stats, type Window } from "./rollup.ts";

/**
 * Integration health: per provider, success rate and P50/P95/P99 over a window
 * (merged rollup buckets, never the call log), the breaker state, the last error,
 * and an alert when the failure rate over the last hour exceeds 5%.
 *
 * Alerting is remembered in the store per provider (an incident counter), so
 * `provider.alerting` is raised once per incident — when a provider crosses the
 * threshold — not on every read; it may be raised again only after the rate has
 * fallen back to 5% or below (the incident closed) and crosses again. The event
 * leaves through the outbox: the incident record's insert (ifNotExists, id per
 * incident) carries it, so two readers crossing at once still raise one. The
 * health page evaluates on read, and the `provider-health-watch` cron job every
 * few minutes for every provider that had calls, so nobody has to be looking.
 */

export const ALERT_FAILURE_RATE = 0.05;
/** Below this many calls in the hour, a rate says little: 1 failure of 3 is not an incident. */
export const ALERT_MIN_CALLS = 10;

export interface ProviderHealth extends Stats {
  providerId: string;
  name: string;
  slug: string;
  type: string;
  active: boolean;
  breaker: { state: BreakerStatus; consecutiveFailures: number; openUntil?: string; incidents: number };
  lastError?: LastError;
  lastHour: { calls: number; failures: number; failureRate: number };
  alerting: boolean;
  alertingSince?: string;
}

export interface HealthReport {
  window: Window;
  generatedAt: string;
  alertThreshold: { failureRate: number; minCalls: number; windowMinutes: number };
  providers: ProviderHealth[];
}

const healthPk = (tenantId: string) => `HEALTH#${tenantId}`;
const alertSk = (providerId: string) => `ALERT#${providerId}`;
const incidentSk = (providerId: string, incident: number) => `ALERT#${providerId}#INCIDENT#${String(incident).padStart(8, "0")}`;
const INCIDENT_TTL_SECONDS = 90 * 86_400;

interface AlertState {
  alerting: boolean;
  incident: number;
  /** The last incident whose event record is known to be written. */
  announced: number;
  since?: string;
  resolvedAt?: string;
  failureRate?: number;
}

/** Opens or closes the provider's alert incident; raises `provider.alerting` once when one opens. */
export async function evaluateAlert(
  ports: Ports,
  provider: Pick<Provider, "id" | "tenantId" | "slug" | "locationId">,
  lastHour: { calls: number; failures: number },
): Promise<{ alerting: boolean; since?: string }> {
  const failureRate = lastHour.calls > 0 ? lastHour.failures / lastHour.calls : 0;
  const breach = lastHour.calls >= ALERT_MIN_CALLS && failureRate > ALERT_FAILURE_RATE;
  for (let round = 0; round < 50; round += 1) {
    const item = await ports.store.get(healthPk(provider.tenantId), alertSk(provider.id));
    const state: AlertState = { alerting: false, incident: 0, announced: 0, ...(item?.data as Partial<AlertState> | undefined) };
    if (state.alerting === breach) {
      if (state.alerting && state.announced < state.incident) await announce(ports, provider, state, item?.version, failureRate);
      return { alerting: state.alerting, since: state.since };
    }
    const now = new Date(ports.clock.now()).toISOString();
    const next: AlertState = breach
      ? { alerting: true, incident: state.incident + 1, announced: state.announced, since: now, failureRate }
      : { ...state, alerting: false, resolvedAt: now, failureRate };
    try {
      const written = await ports.store.put(
        { pk: healthPk(provider.tenantId), sk: alertSk(provider.id), data: { ...next, providerId: provider.id } },
        item ? { ifVersion: item.version } : { ifNotExists: true },
      );
      if (next.alerting) await announce(ports, provider, next, written.version, failureRate);
      return { alerting: next.alerting, since: next.since };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  return { alerting: breach };
}

async function announce(
  ports: Ports,
  provider: Pick<Provider, "id" | "tenantId" | "slug" | "locationId">,
  state: AlertState,
  version: number | undefined,
  failureRate: number,
): Promise<void> {
  const at = new Date(ports.clock.now());
  const envelope = Event.create({
    type: "provider.alerting",
    id: `evt_alert_${provider.id}_${state.incident}`,
    tenantId: provider.tenantId,
    ...(provider.locationId ? { locationId: provider.locationId } : {}),
    occurredAt: at,
    data: { providerId: provider.id, providerSlug: provider.slug, failureRate: Math.min(1, Math.max(0, failureRate)), windowMinutes: 60 },
  });
  try {
    await ports.store.put(
      {
        pk: healthPk(provider.tenantId),
        sk: incidentSk(provider.id, state.incident),
        ttl: Math.floor(at.getTime() / 1000) + INCIDENT_TTL_SECONDS,
        outbox: envelope,
        data: { providerId: provider.id, incident: state.incident, at: at.toISOString(), failureRate, eventId: envelope.id },
      },
      { ifNotExists: true },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error; // raised already
  }
  try {
    await ports.store.put(
      { pk: healthPk(provider.tenantId), sk: alertSk(provider.id), data: { ...state, announced: state.incident, providerId: provider.id } },
      { ifVersion: version },
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error; // changed meanwhile: the next evaluation repairs it
  }
}

/** Past incidents of a provider, newest first. */
export async function incidents(ports: Ports, tenantId: string, providerId: string, limit = 20) {
  const page = await ports.store.query(healthPk(tenantId), { prefix: `ALERT#${providerId}#INCIDENT#`, reverse: true, limit });
  return page.items.map((item) => item.data);
}

const breakersForReads = new Breakers({ cacheMs: 0 });

/** The health page: every provider of the tenant over `window`, with alert evaluation. */
export async function report(ports: Ports, tenantId: string, window: Window): Promise<HealthReport> {
  const providers = await listProviders(ports, tenantId);
  const now = ports.clock.now();
  const rows = await Promise.all(
    providers.map(async (provider): Promise<ProviderHealth> => {
      const [windowed, hour, breaker] = await Promise.all([
        readWindow(ports, tenantId, provider.id, window, now),
        window === "1h" ? undefined : readWindow(ports, tenantId, provider.id, "1h", now),
        breakersForReads.read(ports, provider.id),
      ]);
      const lastHourRollup = hour ?? windowed;
      const alert = await evaluateAlert(ports, provider, lastHourRollup);
      const stats = statsOf(windowed);
      return {
        providerId: provider.id,
        name: provider.name,
        slug: provider.slug,
        type: provider.type,
        active: provider.active,
        ...stats,
        breaker: {
          state: displayState(breaker, now),
          consecutiveFailures: breaker.failures,
          incidents: breaker.incident,
          ...(breaker.state !== "closed" && breaker.openUntil ? { openUntil: new Date(breaker.openUntil).toISOString() } : {}),
        },
        ...(windowed.lastError ? { lastError: windowed.lastError } : {}),
        lastHour: {
          calls: lastHourRollup.calls,
          failures: lastHourRollup.failures,
          failureRate: lastHourRollup.calls > 0 ? lastHourRollup.failures / lastHourRollup.calls : 0,
        },
        alerting: alert.alerting,
        ...(alert.alerting && alert.since ? { alertingSince: alert.since } : {}),
      };
    }),
  );
  return {
    window,
    generatedAt: new Date(now).toISOString(),
    alertThreshold: { failureRate: ALERT_FAILURE_RATE, minCalls: ALERT_MIN_CALLS, windowMinutes: 60 },
    providers: rows,
  };
}

/**
 * For the cron job: evaluates alerts for every provider that had calls in the
 * current or the previous hour (the rollups list them), without a table scan.
 */
export async function watch(ports: Ports): Promise<{ evaluated: number; alerting: string[] }> {
  const now = ports.clock.now();
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS;
  const seen = new Map<string, { tenantId: string; providerId: string }>();
  for (const start of [hour - HOUR_MS, hour]) {
    let cursor: string | undefined;
    do {
      const page = await ports.store.query(activePk(start), { cursor, limit: 500 });
      for (const item of page.items) seen.set(item.sk, { tenantId: String(item.data.tenantId), providerId: String(item.data.providerId) });
      cursor = page.cursor;
    } while (cursor);
  }
  const alerting: string[] = [];
  for (const { tenantId, providerId } of seen.values()) {
    const found = await ports.store.get(providerPk(tenantId), providerSk(providerId));
    if (!found) continue;
    const provider = Provider.parse(found.data);
    const lastHour = await readWindow(ports, tenantId, providerId, "1h", now);
    const alert = await evaluateAlert(ports, provider, lastHour);
    if (alert.alerting) alerting.push(providerId);
  }
  return { evaluated: seen.size, alerting };
}
