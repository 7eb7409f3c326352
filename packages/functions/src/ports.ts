import type { Ports } from "@sambung/core/port";

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
}

export async function ports(): Promise<Ports> {
  if (current) return current;
  pending ??= import("@sambung/core/adapters/aws/index").then(({ createAwsPorts }) => {
    const built = createAwsPorts(process.env);
    current = built;
    return built;
  });
  return pending;
}
