import type { SystemHealth } from "@sambung/core/telemetry/system-health";

let provider: () => SystemHealth["workers"] = () => "managed by AWS Lambda";

/** The local runtime reports its pollers here; on AWS, Lambda runs the workers. */
export function reportWorkersWith(fn: () => SystemHealth["workers"]): void {
  provider = fn;
}

export function workerStatus(): SystemHealth["workers"] {
  return provider();
}
