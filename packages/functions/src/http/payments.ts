import * as Inbound from "@sambung/core/inbound/index";
import * as Payment from "@sambung/core/payment/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Id = z.object({ id: z.string().min(1) });
const IdempotencyKey = z.string().min(8, "send an Idempotency-Key header of 8 to 255 characters").max(255);

export const create = http({ auth: { scope: "payments" }, body: Payment.CreatePayment }, async ({ ports, principal, body, headers }) => {
  const key = IdempotencyKey.safeParse(headers["idempotency-key"] ?? "");
  if (!key.success) {
    return { status: 400, body: { error: { code: "invalid_input", message: "send an Idempotency-Key header (8 to 255 characters) so a retry cannot pay twice" } } };
  }
  const result = await Payment.create(ports, principal, key.data, body);
  return { status: result.replayed ? 200 : 201, body: result.payment, headers: result.replayed ? { "idempotent-replayed": "true" } : undefined };
});

export const get = http({ auth: { scope: "payments" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Payment.get(ports, principal.tenantId, params.id),
}));

export const byReference = http({ auth: { scope: "payments" }, query: z.object({ reference: z.string().min(1) }) }, async ({ ports, principal, query }) => ({
  body: { items: await Payment.byReference(ports, principal.tenantId, query.reference) },
}));

export const refund = http({ auth: { scope: "payments" }, params: Id, body: Payment.RefundRequest }, async ({ ports, principal, params, body }) => ({
  body: await Payment.refund(ports, principal.tenantId, params.id, body),
}));

export const cancel = http({ auth: { scope: "payments" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Payment.cancel(ports, principal.tenantId, params.id),
}));

export const adminList = http(
  { auth: { role: "viewer" }, query: z.object({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }) },
  async ({ ports, principal, query }) => ({ body: await Payment.list(ports, principal.tenantId, query) }),
);

export const unreconciled = http({ auth: { role: "viewer" } }, async ({ ports, principal }) => ({
  body: { items: await Payment.unreconciled(ports, principal.tenantId) },
}));

export const inboundList = http(
  {
    auth: { role: "viewer" },
    query: z.object({
      providerId: z.string().optional(),
      status: Inbound.InboundStatus.optional(),
      since: z.iso.datetime().optional(),
      until: z.iso.datetime().optional(),
      cursor: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(200).optional(),
    }),
  },
  async ({ ports, principal, query }) => ({ body: await Inbound.list(ports, principal.tenantId, query) }),
);

/** One stored webhook as it arrived: raw body, headers (credentials masked), status and why. */
export const inboundGet = http({ auth: { role: "viewer" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Inbound.get(ports, principal.tenantId, params.id),
}));

export const inboundReplay = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => ({
  status: 202,
  body: await Inbound.replay(ports, principal.tenantId, params.id),
}));
