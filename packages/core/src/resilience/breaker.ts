import { randomUUID } from "node:crypto";
import * as Event from "../event/index.ts";
import { ConditionFailedError, type Item, type Ports } from "../port.ts";
import type { Provider } from "../provider/record.ts";
import { isAvailabilityFailure, type ProviderError } from "./errors.ts";
import { BREAKER_SK, resiliencePk, transitionSk } from "./keys.ts";
import type { Policy } from "./policy.ts";

/**
 * A circuit breaker per provider, shared by every process (each Lambda, each
 * worker) through one store item written with conditional writes.
 *
 * closed ──(N consecutive availability failures)──▶ open ──(openSeconds pass)──▶
 * half_open: ONE probe, claimed with a conditional write so that only one process
 * across the fleet sends it ──success──▶ closed / ──failure──▶ open again.
 *
 * Only availability failures count (5xx, 408, timeouts, resets, unreachable): a
 * provider that answers "declined" or "bad key" is up. 429 does not count either:
 * the provider is throttling, which the rate limit and Retry-After handle.
 *
 * Each process caches the state for `cacheMs` (1 s by default). The trade-off: a
 * process that has not re-read yet can send a few calls to a provider another
 * process has just tripped (at most one cache period's worth, and those failures
 * do not re-trip or re-announce anything), and a success elsewhere is seen up to
 * one period late — in exchange, a healthy provider costs no store round trip per
 * call. Every failure and every transition reads and writes the item fresh, so
 * counting and transitions are exact; the probe claim is a conditional write, so
 * it is exactly one whatever the caches say.
 *
 * `provider.circuit_opened` is raised when closed → open (one per incident), and
 * `provider.circuit_closed` when the probe closes it. A failed probe re-opens the
 * same incident quietly: one event pair per outage, not one every cool-down.
 * Events leave through the outbox: each is a transition record whose insert
 * (`ifNotExists`, id per incident and kind) carries the envelope. The state item
 * keeps the transition as `pending` until its record is written, so a crash in
 * between is repaired by the next fresh read, and never announced twice.
 */

export type BreakerStatus = "closed" | "open" | "half_open";

export interface BreakerState {
  state: BreakerStatus;
  /** Consecutive availability failures while closed. */
  failures: number;
  /** How many times the breaker has opened: the incident number of the current / last outage. */
  incident: number;
  openedAt?: number;
  /** While open: when a probe may go. */
  openUntil?: number;
  /** While half-open: the one probe in flight and when its claim lapses (the prober died). */
  probe?: { id: string; expiresAt: number };
  /** A transition whose event record is not known to be written yet. */
  pending?: { kind: "opened" | "closed"; incident: number; failures: number; until?: number };
  lastError?: { at: number; code: string; message: string; status?: number };
  lastSuccessAt?: number;
  tenantId?: string;
  providerId?: string;
  providerSlug?: string;
}

export type Admission =
  | { kind: "closed" }
  | { kind: "probe"; probeId: string }
  | { kind: "open"; retryAfterMs: number };

const INITIAL: BreakerState = { state: "closed", failures: 0, incident: 0 };
/** How long a probe claim outlives the probe's own timeout before another process may take over. */
const PROBE_GRACE_MS = 5_000;
const TRANSITION_TTL_SECONDS = 30 * 86_400;
const MAX_CONFLICTS = 50;

interface Cached {
  state: BreakerState;
  version?: number;
  fetchedAt: number;
}

function stateOf(item: Item | undefined): BreakerState {
  return item ? ({ ...INITIAL, ...(item.data as Partial<BreakerState>) } as BreakerState) : { ...INITIAL };
}

export class Breakers {
  private readonly cache = new Map<string, Cached>();
  private readonly cacheMs: number;

  constructor(options: { cacheMs?: number } = {}) {
    this.cacheMs = options.cacheMs ?? 1_000;
  }

  /** Forget cached states (tests; a process that wants a fresh view). */
  clear(): void {
    this.cache.clear();
  }

  /** The state as the store has it now (no cache), with any unannounced transition repaired. */
  async read(ports: Ports, providerId: string): Promise<BreakerState> {
    return (await this.fresh(ports, providerId)).state;
  }

  private async fresh(ports: Ports, providerId: string): Promise<Cached> {
    const item = await ports.store.get(resiliencePk(providerId), BREAKER_SK);
    const entry: Cached = { state: stateOf(item), version: item?.version, fetchedAt: ports.clock.now() };
    this.cache.set(providerId, entry);
    if (entry.state.pending) return this.announce(ports, providerId, entry);
    return entry;
  }

  private async view(ports: Ports, providerId: string): Promise<Cached> {
    const cached = this.cache.get(providerId);
    const now = ports.clock.now();
    if (cached && now - cached.fetchedAt < this.cacheMs && now >= cached.fetchedAt) return cached;
    return this.fresh(ports, providerId);
  }

  /** May a call go to this provider now? Claims the half-open probe when the cool-down is over. */
  async admit(ports: Ports, provider: Provider, probeTimeoutMs: number): Promise<Admission> {
    let entry = await this.view(ports, provider.id);
    let freshRead = false;
    for (let round = 0; round < MAX_CONFLICTS; round += 1) {
      const now = ports.clock.now();
      const { state } = entry;
      if (state.state === "closed") return { kind: "closed" };
      if (state.state === "open" && (state.openUntil ?? 0) > now) return { kind: "open", retryAfterMs: (state.openUntil ?? now) - now };
      if (state.state === "half_open" && state.probe && state.probe.expiresAt > now) {
        return { kind: "open", retryAfterMs: Math.max(1, state.probe.expiresAt - now) };
      }
      // Open and cooled down, or a probe claim that lapsed: try to become the one probe.
      if (!freshRead) {
        entry = await this.fresh(ports, provider.id);
        freshRead = true;
        continue;
      }
      const probeId = randomUUID();
      const next: BreakerState = { ...state, state: "half_open", probe: { id: probeId, expiresAt: now + probeTimeoutMs + PROBE_GRACE_MS } };
      const written = await this.write(ports, provider, next, entry.version);
      if (written) return { kind: "probe", probeId };
      entry = await this.fresh(ports, provider.id);
    }
    return { kind: "open", retryAfterMs: 1_000 };
  }

  /** The provider answered (any answer that is not an availability failure). */
  async succeeded(ports: Ports, provider: Provider, admission: Admission): Promise<void> {
    if (admission.kind === "open") return;
    if (admission.kind === "closed") {
      // The cheap path: nothing to reset as far as this process knows.
      const cached = this.cache.get(provider.id);
      if (cached && cached.state.state === "closed" && cached.state.failures === 0) return;
    }
    await this.change(ports, provider, (state, now) => {
      if (admission.kind === "probe") {
        if (state.state !== "half_open" || state.probe?.id !== admission.probeId) return undefined;
        return {
          ...state,
          state: "closed",
          failures: 0,
          probe: undefined,
          openUntil: undefined,
          lastSuccessAt: now,
          pending: { kind: "closed", incident: state.incident, failures: 0 },
        };
      }
      if (state.state !== "closed" || state.failures === 0) return undefined;
      return { ...state, failures: 0, lastSuccessAt: now };
    });
  }

  /** A probe that ended in neither success nor failure (a bug in the caller): let the next caller probe. */
  async released(ports: Ports, provider: Provider, admission: Admission): Promise<void> {
    if (admission.kind !== "probe") return;
    await this.change(ports, provider, (state, now) =>
      state.state === "half_open" && state.probe?.id === admission.probeId ? { ...state, state: "open", probe: undefined, openUntil: now } : undefined,
    );
  }

  async failed(ports: Ports, provider: Provider, policy: Policy, admission: Admission, error: ProviderError): Promise<void> {
    if (admission.kind === "open") return;
    if (!isAvailabilityFailure(error)) {
      if (error.delivery === "yes") return this.succeeded(ports, provider, admission);
      return this.released(ports, provider, admission);
    }
    const openMs = policy.breaker.openSeconds * 1000;
    await this.change(ports, provider, (state, now) => {
      const lastError = { at: now, code: error.code, message: error.message.slice(0, 300), ...(error.status ? { status: error.status } : {}) };
      if (admission.kind === "probe") {
        if (state.state !== "half_open" || state.probe?.id !== admission.probeId) return undefined;
        // The outage goes on: open again, same incident, no second event.
        return { ...state, state: "open", probe: undefined, openUntil: now + openMs, lastError };
      }
      if (state.state !== "closed") return undefined; // opened meanwhile by someone else: nothing to add
      const failures = state.failures + 1;
      if (failures < policy.breaker.failureThreshold) return { ...state, failures, lastError };
      const incident = state.incident + 1;
      return {
        ...state,
        state: "open",
        failures,
        incident,
        openedAt: now,
        openUntil: now + openMs,
        probe: undefined,
        lastError,
        pending: { kind: "opened", incident, failures, until: now + openMs },
      };
    });
  }

  /** Read fresh, apply `fn`, write with the version read; again on a concurrent change. */
  private async change(ports: Ports, provider: Provider, fn: (state: BreakerState, now: number) => BreakerState | undefined): Promise<void> {
    for (let round = 0; round < MAX_CONFLICTS; round += 1) {
      const entry = await this.fresh(ports, provider.id);
      const next = fn(entry.state, ports.clock.now());
      if (!next) return;
      if (await this.write(ports, provider, next, entry.version)) return;
    }
    throw new Error(`breaker state of ${provider.slug} kept changing under us; giving up this update`);
  }

  /** Conditional write; false when someone else changed the item first. Announces a pending transition. */
  private async write(ports: Ports, provider: Provider, state: BreakerState, version: number | undefined): Promise<boolean> {
    const data = { ...state, tenantId: provider.tenantId, providerId: provider.id, providerSlug: provider.slug };
    let written: Item;
    try {
      written = await ports.store.put(
        { pk: resiliencePk(provider.id), sk: BREAKER_SK, data: stripUndefined(data) },
        version === undefined ? { ifNotExists: true } : { ifVersion: version },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
    const entry: Cached = { state: stateOf(written), version: written.version, fetchedAt: ports.clock.now() };
    this.cache.set(provider.id, entry);
    if (entry.state.pending) await this.announce(ports, provider.id, entry);
    return true;
  }

  /** Writes the transition record (its insert is the outbox entry, at most once), then clears `pending`. */
  private async announce(ports: Ports, providerId: string, entry: Cached): Promise<Cached> {
    const { pending, tenantId, providerSlug } = entry.state;
    if (!pending || !tenantId) return entry;
    const at = new Date(ports.clock.now());
    const data = {
      providerId,
      ...(providerSlug ? { providerSlug } : {}),
      ...(pending.kind === "opened" ? { failures: pending.failures, ...(pending.until ? { until: new Date(pending.until).toISOString() } : {}) } : {}),
    };
    const envelope =
      pending.kind === "opened"
        ? Event.create({ type: "provider.circuit_opened", id: `evt_circuit_${providerId}_${pending.incident}_opened`, tenantId, occurredAt: at, data })
        : Event.create({ type: "provider.circuit_closed", id: `evt_circuit_${providerId}_${pending.incident}_closed`, tenantId, occurredAt: at, data });
    try {
      await ports.store.put(
        {
          pk: resiliencePk(providerId),
          sk: transitionSk(pending.incident, pending.kind),
          ttl: Math.floor(at.getTime() / 1000) + TRANSITION_TTL_SECONDS,
          outbox: envelope,
          data: { kind: pending.kind, incident: pending.incident, at: at.toISOString(), eventId: envelope.id, tenantId },
        },
        { ifNotExists: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error; // already announced
    }
    try {
      const cleared = await ports.store.put(
        { pk: resiliencePk(providerId), sk: BREAKER_SK, data: stripUndefined({ ...entry.state, pending: undefined }) },
        { ifVersion: entry.version },
      );
      const next: Cached = { state: stateOf(cleared), version: cleared.version, fetchedAt: ports.clock.now() };
      this.cache.set(providerId, next);
      return next;
    } catch (error) {
      if (error instanceof ConditionFailedError) return entry; // changed meanwhile; a later fresh read clears it
      throw error;
    }
  }
}

function stripUndefined<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** What the health page shows: a breaker past its cool-down reads as half-open (the next call probes). */
export function displayState(state: BreakerState, now: number): BreakerStatus {
  if (state.state === "open" && (state.openUntil ?? 0) <= now) return "half_open";
  return state.state;
}
