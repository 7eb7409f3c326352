import * as DeadLetters from "@sambung/core/event/dead-letters";
import * as Outbound from "@sambung/core/outbound/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

/** Every queue's dead letters, and the current tenant's dead outgoing-webhook deliveries. */
export const list = http({ auth: { role: "superadmin" } }, async ({ ports, principal }) => {
  const [queues, deliveries] = await Promise.all([DeadLetters.summary(ports.queue), Outbound.deadSummary(ports, principal.tenantId)]);
  return { body: { queues, deliveries } };
});

export const redrive = http(
  { auth: { role: "superadmin" }, params: z.object({ queue: z.string().min(1) }), body: DeadLetters.RedriveRequest.default({}) },
  async ({ ports, params, body }) => ({ body: await DeadLetters.redrive(ports.queue, params.queue, body) }),
);
