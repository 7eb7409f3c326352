import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { addressProblem } from "../../outbound/url-safety.ts";
import type { Ports } from "../../port.ts";
import type { Provider } from "../../provider/record.ts";
import { asRecord, str } from "../http-auth.ts";

/**
 * A check is a request an admin can aim anywhere, so every host it may contact
 * (base URL, `config.host` for SMTP, `config.endpoint` for S3/SES, `config.hosts.*`)
 * must resolve to public addresses only — unless the deployment allows private
 * URLs (a local development hub). SMTP and the AWS SDK clients do not go through
 * the Http port, so this is where they are guarded.
 */

function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return new URL(value).hostname.replace(/^\[|\]$/g, "") || undefined;
  } catch {
    return /^[A-Za-z0-9.-]+$/.test(value) ? value : undefined;
  }
}

function hostsOf(provider: Provider, baseUrl: string): string[] {
  const config = provider.config;
  const found = [baseUrl, provider.baseUrl, provider.sandboxBaseUrl, str(config.endpoint)].map(hostOf);
  found.push(str(config.host));
  for (const host of Object.values(asRecord(config.hosts))) {
    const modes = asRecord(host);
    found.push(hostOf(str(modes.production)), hostOf(str(modes.sandbox)));
  }
  return [...new Set(found.filter((host): host is string => Boolean(host) && !host?.includes("{")))];
}

/** Why the check must not run (a host resolves to a non-public address), or undefined. */
export async function blockedHost(ports: Ports, provider: Provider, baseUrl: string): Promise<string | undefined> {
  if (ports.config.allowPrivateUrls) return undefined;
  const hint = ports.config.runtime === "local" ? " (a development hub can allow them with SAMBUNG_ALLOW_PRIVATE_URLS=1)" : "";
  for (const host of hostsOf(provider, baseUrl)) {
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else if (host === "localhost" || host.endsWith(".localhost")) addresses = ["127.0.0.1"];
    else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
      } catch {
        continue; // the check itself reports a name that does not resolve
      }
    }
    for (const address of addresses) {
      const problem = addressProblem(address);
      if (problem) return `blocked: ${host}${address === host ? "" : ` (${address})`} is ${problem}; provider calls may only go to public addresses${hint}`;
    }
  }
  return undefined;
}
