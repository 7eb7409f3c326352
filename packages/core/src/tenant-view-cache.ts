import type { Ports } from "./port.ts";

interface Entry<T> {
  until: number;
  value: Promise<T>;
}

/**
 * A tenant's list (subscriptions, message triggers) shared by the events of the
 * next moment: at hundreds of events a second one query serves them all. A change
 * made in this process drops it at once; another process's (another Lambda, the
 * local runtime's other thread) shows within `ttlMs`. Kept per store, so two hubs
 * in one process (tests) never see each other's lists.
 */
export class TenantViewCache<T> {
  private readonly byStore = new WeakMap<object, Map<string, Entry<T>>>();
  private readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  private entries(ports: Ports): Map<string, Entry<T>> {
    let entries = this.byStore.get(ports.store);
    if (!entries) {
      entries = new Map();
      this.byStore.set(ports.store, entries);
    }
    return entries;
  }

  get(ports: Ports, tenantId: string, load: () => Promise<T>): Promise<T> {
    const entries = this.entries(ports);
    const now = performance.now();
    const cached = entries.get(tenantId);
    if (cached && cached.until > now) return cached.value;
    const value = load();
    if (entries.size > 10_000) entries.clear();
    entries.set(tenantId, { until: now + this.ttlMs, value });
    value.catch(() => entries.delete(tenantId));
    return value;
  }

  drop(ports: Ports, tenantId: string): void {
    this.entries(ports).delete(tenantId);
  }
}
