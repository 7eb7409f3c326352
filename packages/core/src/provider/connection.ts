import { HttpTimeoutError, type Ports } from "../port.ts";
import type { Principal } from "../tenant/model.ts";
import * as Audit from "../audit/index.ts";
import { baseUrlOf, get, recordTest, secretsOf } from "./index.ts";
import type { LastTest } from "./record.ts";

const CHECK_TIMEOUT_MS = 20_000;

/** Turns a thrown error into words an owner can act on; never a stack trace or a secret. */
export function explain(error: unknown): string {
  if (error instanceof HttpTimeoutError) return `timeout: ${error.message}`;
  const code = (error as { cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unreachable host: the provider's host name does not resolve; check the base URL";
    case "ECONNREFUSED":
      return "unreachable host: the connection was refused; check the base URL and port";
    case "ECONNRESET":
    case "EPIPE":
      return "the provider closed the connection; try again, then check the base URL";
    case "ETIMEDOUT":
      return "timeout: the provider did not answer in time";
    case "CERT_HAS_EXPIRED":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
      return "the provider's TLS certificate is not valid";
    default:
      return "the check failed unexpectedly; check the base URL and credentials";
  }
}

/** Runs the provider type's connection check, stores the outcome and audits it. */
export async function test(ports: Ports, principal: Principal, providerId: string): Promise<LastTest> {
  const provider = await get(ports, principal.tenantId, providerId);
  // Loaded on demand: the checks bring SMTP and S3 clients that no other provider call needs.
  const { checks } = await import("../format/checks/index.ts");
  const check = checks[provider.apiFormat];
  const started = performance.now();
  let result: LastTest;
  try {
    const secrets = await secretsOf(ports, provider);
    const outcome = await Promise.race([
      check({ ports, provider, secrets, baseUrl: baseUrlOf(provider) }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new HttpTimeoutError(baseUrlOf(provider), CHECK_TIMEOUT_MS)), CHECK_TIMEOUT_MS).unref()),
    ]);
    result = { status: outcome.ok ? "ok" : "failed", message: outcome.message };
  } catch (error) {
    result = { status: "failed", message: explain(error) };
  }
  result = { ...result, at: new Date(ports.clock.now()).toISOString(), latencyMs: Math.round(performance.now() - started) };
  await recordTest(ports, principal.tenantId, providerId, result);
  await Audit.record(ports, principal, { action: `provider.tested.${result.status}`, target: providerId, changed: [] });
  return result;
}
