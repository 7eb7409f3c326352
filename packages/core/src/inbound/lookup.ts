import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import { providerPk, providerSk, slugPk } from "../provider/keys.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import { VersionedCache } from "../versioned-cache.ts";

/**
 * What every inbound webhook needs before it can be verified — the provider behind
 * the slug and its opened secrets — remembered between requests without ever being
 * stale: every request asks the provider record's version, and its parse is reused
 * while that is unchanged; secrets are reused while the sealed box is byte-for-byte
 * the same one. A gateway posting hundreds of notifications a second then costs one
 * version read here instead of two whole reads, a schema parse and a decryption each.
 */

/** Bounded: a busy hub has a few hundred providers, not millions. */
const MAX_ENTRIES = 2_000;

interface Known {
  ports: Ports;
  tenantId: string;
  providerId: string;
}

interface Opened {
  ports: Ports;
  sealed: string;
  values: Readonly<Record<string, string>>;
}

const bySlug = new Map<string, Known>();
const secrets = new Map<string, Opened>();

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
}

async function lookUp(ports: Ports, slug: string): Promise<Known | undefined> {
  const lookup = await ports.store.get(slugPk(slug), "LOOKUP");
  if (!lookup) return undefined;
  const known: Known = { ports, tenantId: String(lookup.data.tenantId), providerId: String(lookup.data.providerId) };
  remember(bySlug, slug, known);
  return known;
}

const providers = new VersionedCache((item) => Object.freeze(Provider.Provider.parse(item.data)));

/** The provider a webhook URL's slug names, or undefined. */
export async function providerBySlug(ports: Ports, slug: string): Promise<Readonly<ProviderRecord> | undefined> {
  const cached = bySlug.get(slug);
  const known = cached?.ports === ports ? cached : await lookUp(ports, slug);
  if (!known) return undefined;
  const provider = await providers.get(ports, providerPk(known.tenantId), providerSk(known.providerId));
  if (!provider) {
    // Deleted, and its slug perhaps taken by another provider since: ask the slug again.
    bySlug.delete(slug);
    return known === cached ? providerBySlug(ports, slug) : undefined;
  }
  return provider;
}

/** The provider's secrets in clear, opened once per sealed box. Never return these. */
export async function secretsFor(ports: Ports, provider: ProviderRecord): Promise<Readonly<Record<string, string>>> {
  const box = provider.secretBox;
  if (!box) return {};
  const sealed = `${box.sealed.kid}:${box.sealed.iv}:${box.sealed.ciphertext}:${box.sealed.tag}`;
  const opened = secrets.get(provider.id);
  if (opened?.ports === ports && opened.sealed === sealed) return opened.values;
  const values = Object.freeze(await Provider.secretsOf(ports, provider));
  remember(secrets, provider.id, { ports, sealed, values });
  return values;
}
