import * as SystemHealth from "@sambung/core/telemetry/system-health";
import { http } from "../middleware/http.ts";
import { workerStatus } from "../runtime-status.ts";
import { version } from "../version.ts";

export const handler = http({ auth: { public: true } }, async ({ ports }) => {
  const health = await SystemHealth.check(ports, version, workerStatus());
  return { status: health.store.ok ? 200 : 503, body: health, headers: { "cache-control": "no-store" } };
});
