import * as Provider from "@sambung/core/provider/index";
import * as Telemetry from "@sambung/core/telemetry/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

/** Integration health per provider over a window: success rate, P50/P95/P99, breaker, last error, alerting. */
export const health = http(
  { auth: { role: "viewer" }, query: z.object({ window: z.enum(["1h", "24h", "7d"]).default("1h") }) },
  async ({ ports, principal, query }) => {
    // This process's buffered counts first, so what it has just seen is in the numbers.
    await Telemetry.flush(ports);
    return { body: await Telemetry.report(ports, principal.tenantId, query.window), headers: { "cache-control": "no-store" } };
  },
);

/** A provider's call log, newest first; another tenant's provider is "not found". */
export const calls = http(
  {
    auth: { role: "viewer" },
    params: z.object({ id: z.string().min(1) }),
    query: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }),
  },
  async ({ ports, principal, params, query }) => {
    await Provider.get(ports, principal.tenantId, params.id);
    await Telemetry.flush(ports);
    return { body: await Telemetry.calls(ports, principal.tenantId, params.id, query) };
  },
);
