import * as Outbound from "@sambung/core/outbound/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Params = z.object({ id: z.string().min(1).max(200) });

export const list = http({ auth: { role: "admin" } }, async ({ ports, principal }) => ({
  body: { items: await Outbound.listSubscriptions(ports, principal.tenantId) },
}));

export const create = http({ auth: { role: "admin" }, body: Outbound.CreateSubscription }, async ({ ports, principal, body }) => {
  const created = await Outbound.createSubscription(ports, principal, body);
  return {
    status: 201,
    body: { ...created.subscription, signingSecret: created.secret, note: "store the signing secret now: it is shown only once" },
  };
});

export const get = http({ auth: { role: "admin" }, params: Params }, async ({ ports, principal, params }) => ({
  body: await Outbound.getSubscription(ports, principal.tenantId, params.id),
}));

export const update = http({ auth: { role: "admin" }, params: Params, body: Outbound.UpdateSubscription }, async ({ ports, principal, params, body }) => ({
  body: await Outbound.updateSubscription(ports, principal, params.id, body),
}));

export const remove = http({ auth: { role: "admin" }, params: Params }, async ({ ports, principal, params }) => {
  await Outbound.deleteSubscription(ports, principal, params.id);
  return { status: 204 };
});

export const rotateSecret = http(
  { auth: { role: "admin" }, params: Params, body: Outbound.RotateSecret.default({ overlapHours: 24 }) },
  async ({ ports, principal, params, body }) => {
    const rotated = await Outbound.rotateSecret(ports, principal, params.id, body);
    return {
      body: { ...rotated.subscription, signingSecret: rotated.secret, note: "store the new signing secret now: it is shown only once" },
    };
  },
);
