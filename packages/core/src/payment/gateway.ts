import type { EngineContext } from "../format/payment/engine.ts";
import type { Ports } from "../port.ts";
import * as Provider from "../provider/index.ts";
import type { Provider as ProviderRecord } from "../provider/record.ts";
import * as Resilience from "../resilience/index.ts";
import { asApiError } from "./errors.ts";

export interface Sent<T> {
  value: T;
  provider: ProviderRecord;
  usedFallback: boolean;
}

/**
 * Calls a payment provider for one action through the resilience pipeline: rate
 * limit, breaker, timeout, retries for idempotent actions, fallback, call log.
 * The engine sends through the attempt so each HTTP exchange is timed and logged;
 * it reads non-2xx answers itself to throw a payment-specific error, which leaves
 * here as an API error (422 refused, 502 misconfigured, 503 unreachable).
 */
export async function sendTo<T>(
  ports: Ports,
  providers: { primary: ProviderRecord; fallback?: ProviderRecord },
  action: string,
  idempotent: boolean,
  run: (context: EngineContext) => Promise<T>,
  featureKey?: string,
): Promise<Sent<T>> {
  const result = await Resilience.callProviders(ports, providers, {
    action,
    idempotent,
    featureKey,
    run: async (provider, attempt) =>
      run({
        ports,
        provider,
        secrets: await Provider.secretsOf(ports, provider),
        baseUrl: Provider.baseUrlOf(provider),
        send: (request) => attempt.fetch(request, { throwOnError: false }),
      }),
  }).catch((error: unknown) => {
    throw asApiError(error);
  });
  const provider = result.providerId === providers.primary.id ? providers.primary : (providers.fallback ?? providers.primary);
  return { value: result.value, provider, usedFallback: result.usedFallback };
}
