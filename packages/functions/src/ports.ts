import type { Ports } from "@sambung/core/port";
import { installObservability } from "./observability.ts";

let current: Ports | undefined;
let pending: Promise<Ports> | undefined;

/**
 * The ports handlers use. The local runtime installs its adapters with `usePorts`
 * before serving; on Lambda the AWS adapters are built from the environment on
 * first use and kept for the life of the execution environment.
 */
export function usePorts(ports: Ports): void {
  current = ports;
  pending = undefined;
  void installObservability(ports.config.runtime);
}

export async function ports(): Promise<Ports> {
  if (current) return current;
  pending ??= import("@sambung/core/adapters/aws/index").then(async ({ createAwsPorts }) => {
    const built = createAwsPorts(process.env);
    await installObservability(built.config.runtime);
    current = built;
    return built;
  });
  return pending;
}
