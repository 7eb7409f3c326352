import { InvalidInputError } from "../../error.ts";
import type { Provider } from "../../provider/record.ts";
import { ProviderError } from "../../resilience/errors.ts";
import { otaEngines } from "./index.ts";

/**
 * The inbound hub's normalizer for OTA channels that push bookings to
 * `POST /webhook/ota/{slug}`: the message must parse with the channel's format;
 * its id (the channel's message id, else a hash of the body) de-duplicates
 * re-sent pushes. The bookings themselves are stored by the channel worker.
 */
export function normalizeOtaPush(provider: Provider, request: { rawBody: string; headers: Record<string, string> }): Record<string, unknown> & { eventId: string } {
  const engine = otaEngines[provider.apiFormat];
  if (!engine?.parsePush) throw new InvalidInputError(`${provider.name} (${provider.apiFormat}) does not push bookings; its bookings are pulled`);
  try {
    const pushed = engine.parsePush(provider, request.rawBody, request.headers);
    return { eventId: pushed.eventId, bookings: pushed.bookings.map((booking) => ({ bookingId: booking.bookingId, version: booking.version, status: booking.status })) };
  } catch (error) {
    if (error instanceof ProviderError) throw new InvalidInputError(error.message);
    throw error;
  }
}
