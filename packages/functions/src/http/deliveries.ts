import * as Outbound from "@sambung/core/outbound/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const ListQuery = z.object({
  subscriptionId: z.string().min(1).optional(),
  status: Outbound.DeliveryStatus.optional(),
  event: z.string().min(1).max(120).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const list = http({ auth: { role: "admin" }, query: ListQuery }, async ({ ports, principal, query }) => ({
  body: await Outbound.listDeliveries(ports, principal.tenantId, query),
}));

export const get = http({ auth: { role: "admin" }, params: z.object({ id: z.string().min(1).max(200) }) }, async ({ ports, principal, params }) => ({
  body: await Outbound.getDelivery(ports, principal.tenantId, params.id),
}));

export const redrive = http({ auth: { role: "admin" }, params: z.object({ id: z.string().min(1).max(200) }) }, async ({ ports, principal, params }) => ({
  status: 202,
  body: await Outbound.redriveDelivery(ports, principal, params.id),
}));

/** Bulk redrive: answers with the job at once; GET …/redrive/{jobId} follows its progress. */
export const redriveMany = http({ auth: { role: "admin" }, body: Outbound.RedriveFilter.optional() }, async ({ ports, principal, body }) => {
  const { job, existing } = await Outbound.startRedriveJob(ports, principal, body ?? {});
  return { status: existing ? 200 : 202, body: job };
});

export const redriveJob = http({ auth: { role: "admin" }, params: z.object({ jobId: z.string().min(1).max(200) }) }, async ({ ports, principal, params }) => ({
  body: await Outbound.getRedriveJob(ports, principal.tenantId, params.jobId),
}));
