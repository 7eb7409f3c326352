import type { EngineContext } from "../format/payment/engine.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";

export interface Sent<T> {
  value: T;
  provider: ProviderRecord;
  usedFallback: boolean;
}

/** The engine context for one provider: its opened secrets, base URL for its mode, and the Http port. */
export async function contextFor(ports: Ports, provider: ProviderRecord): Promise<EngineContext> {
  return {
    ports,
    provider,
    secrets: await Provider.secretsOf(ports, provider),
    baseUrl: Provider.baseUrlOf(provider),
    send: (request) => ports.http.fetch(request),
  };
}

/** Calls a payment provider for one action; the resilience pipeline wraps this (issue #6). */
export async function sendTo<T>(
  ports: Ports,
  providers: { primary: ProviderRecord; fallback?: ProviderRecord },
  _action: string,
  _idempotent: boolean,
  run: (context: EngineContext) => Promise<T>,
): Promise<Sent<T>> {
  const value = await run(await contextFor(ports, providers.primary));
  return { value, provider: providers.primary, usedFallback: false };
}
