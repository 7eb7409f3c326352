import type { Ports } from "../port.ts";
import type { Provider } from "../provider/record.ts";

/** What a format's connection check gets: the record, its opened secrets and the base URL for its mode. */
export interface CheckContext {
  ports: Ports;
  provider: Provider;
  secrets: Record<string, string>;
  baseUrl: string;
}

/** `message` is for an owner: what failed, in words (bad key, wrong region, unreachable host, timeout). */
export interface CheckResult {
  ok: boolean;
  message: string;
}

export type ConnectionCheck = (context: CheckContext) => Promise<CheckResult>;
