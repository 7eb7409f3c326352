import { ProviderError } from "../../resilience/errors.ts";
import { asRecord, str } from "../http-auth.ts";

/** An event's data as JSON; a vendor that sends something else mid-stream has broken the stream. */
export function eventJson(data: string): Record<string, unknown> {
  try {
    return asRecord(JSON.parse(data));
  } catch {
    throw new ProviderError({ code: "error", retryable: false, delivery: "yes", message: "the provider's stream carried an event that is not JSON" });
  }
}

/**
 * An error the vendor reports inside a stream that already answered 200: the
 * provider is up but failed this completion ("overloaded" and server errors count
 * against its breaker; anything else is its answer to this request).
 */
export function streamError(error: unknown, unavailable: (type: string) => boolean): ProviderError {
  const fields = asRecord(error);
  const type = str(fields.type) ?? str(fields.status) ?? str(fields.code) ?? "error";
  const message = str(fields.message) ?? "the provider ended the stream with an error";
  const down = unavailable(type);
  return new ProviderError({ code: down ? "unavailable" : "rejected", retryable: down, delivery: "yes", message: `${message} (${type})` });
}
