import type { Item, Ports } from "./port.ts";

interface Entry<T> {
  version: number;
  value: T;
}

/** Bounded: the items worth keeping this way (providers, API keys) number hundreds, not millions. */
const MAX_ENTRIES = 2_000;

/**
 * Parsed copies of items read on every request (a provider record behind a webhook
 * URL, an API key), never stale: each read asks the store only for the item's
 * version and parses the whole item again when that moved. Kept per store, so two
 * hubs in one process (tests) never see each other's items.
 */
export class VersionedCache<T> {
  private readonly byStore = new WeakMap<object, Map<string, Entry<T>>>();
  private readonly parse: (item: Item) => T;

  constructor(parse: (item: Item) => T) {
    this.parse = parse;
  }

  /** The parsed item, or undefined when it does not exist (or expired). */
  async get(ports: Ports, pk: string, sk: string): Promise<T | undefined> {
    let entries = this.byStore.get(ports.store);
    if (!entries) {
      entries = new Map();
      this.byStore.set(ports.store, entries);
    }
    const key = `${pk}\u0000${sk}`;
    const version = await ports.store.version(pk, sk);
    const cached = entries.get(key);
    if (version === undefined) {
      entries.delete(key);
      return undefined;
    }
    if (cached?.version === version) return cached.value;
    const item = await ports.store.get(pk, sk);
    if (!item) return undefined;
    const value = this.parse(item);
    if (entries.size >= MAX_ENTRIES) entries.clear();
    if (item.version !== undefined) entries.set(key, { version: item.version, value });
    return value;
  }
}
