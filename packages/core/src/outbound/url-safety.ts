import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { InvalidInputError } from "../error.ts";
import type { PlatformConfig } from "../port.ts";

/**
 * SSRF guard for URLs the hub calls on an owner's behalf (outgoing webhooks).
 * The host is resolved and every address it resolves to must be public: no
 * loopback, private, link-local, CGNAT, unspecified, multicast or cloud
 * metadata address. Checked when a URL is saved and again before each call,
 * unless the deployment allows private URLs (local development only).
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type DnsLookup = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: DnsLookup = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

let currentLookup: DnsLookup = systemLookup;

/** Replaces DNS resolution (tests make a name resolve to a private address); no argument restores the system resolver. */
export function setDnsLookup(lookup?: DnsLookup): void {
  currentLookup = lookup ?? systemLookup;
}

interface Category {
  label: string;
  list: BlockList;
}

function category(label: string, v4: [string, number][], v6: [string, number][] = []): Category {
  const list = new BlockList();
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, "ipv4");
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, "ipv6");
  return { label, list };
}

/** Most specific first: the metadata endpoints sit inside link-local and unique-local ranges. */
const CATEGORIES: Category[] = [
  category("a cloud metadata address", [["169.254.169.254", 32], ["169.254.170.2", 32]], [["fd00:ec2::254", 128]]),
  category("an unspecified address", [["0.0.0.0", 8]], [["::", 128]]),
  category("a loopback address", [["127.0.0.0", 8]], [["::1", 128]]),
  category("a private address", [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16]], [["fc00::", 7]]),
  category("a link-local address", [["169.254.0.0", 16]], [["fe80::", 10]]),
  category("a carrier-grade NAT address", [["100.64.0.0", 10]]),
  category("a multicast address", [["224.0.0.0", 4]], [["ff00::", 8]]),
  category("a reserved address", [["240.0.0.0", 4], ["192.0.0.0", 24], ["198.18.0.0", 15]]),
];

/** IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96): the IPv4 one is what is reached. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = parseInt(hex[1], 16);
    const low = parseInt(hex[2], 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return undefined;
}

/** Why an address must not be called, or undefined when it is public. */
export function addressProblem(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return addressProblem(v4);
  }
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const { label, list } of CATEGORIES) if (list.check(address, type)) return label;
  return undefined;
}

export interface UrlCheckOptions {
  config: Pick<PlatformConfig, "runtime" | "allowPrivateUrls">;
  /** Wording: "the URL" when saving, "the subscription's URL" at delivery time. */
  subject?: string;
}

const PRIVATE_HINT = "outgoing webhooks may only go to public addresses";
const LOCAL_HINT = " (a development hub can allow private addresses with SAMBUNG_ALLOW_PRIVATE_URLS=1)";

/** Parses and checks the scheme of a webhook URL; throws InvalidInputError saying what to fix. */
export function parseWebhookUrl(raw: string, config: UrlCheckOptions["config"]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError(`"${raw.slice(0, 200)}" is not a URL; give an absolute https:// URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && config.runtime === "local")) {
    throw new InvalidInputError(
      url.protocol === "http:"
        ? "use an https:// URL: deliveries carry signed business data, and plain http is only allowed on a local development hub"
        : `use an https:// URL (got ${url.protocol.replace(/:$/, "")})`,
    );
  }
  if (url.username || url.password) {
    throw new InvalidInputError("put no user name or password in the URL: receivers authenticate deliveries by their signature");
  }
  return url;
}

/**
 * Resolves the URL's host and refuses it when any address is not public.
 * Throws InvalidInputError with the address and why ("the URL resolves to
 * 10.0.0.5, a private address; …"). Does nothing when private URLs are allowed.
 */
export async function assertPublicUrl(raw: string, options: UrlCheckOptions): Promise<void> {
  const url = parseWebhookUrl(raw, options.config);
  if (options.config.allowPrivateUrls) return;
  const subject = options.subject ?? "the URL";
  const hint = PRIVATE_HINT + (options.config.runtime === "local" ? LOCAL_HINT : "");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) {
    const problem = addressProblem(host);
    if (problem) throw new InvalidInputError(`${subject} points at ${host}, ${problem}; ${hint}`);
    return;
  }
  if (host === "localhost" || host.endsWith(".localhost")) {
    throw new InvalidInputError(`${subject} points at ${host}, a loopback address; ${hint}`);
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await currentLookup(host);
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message : "lookup failed");
    throw new InvalidInputError(`the host ${host} of ${subject} does not resolve (${code}); check the spelling`);
  }
  if (addresses.length === 0) throw new InvalidInputError(`the host ${host} of ${subject} resolves to no address`);
  for (const { address } of addresses) {
    const problem = addressProblem(address);
    if (problem) throw new InvalidInputError(`${subject} resolves to ${address}, ${problem}; ${hint}`);
  }
}
