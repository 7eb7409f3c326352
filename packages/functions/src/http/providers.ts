import * as Provider from "@sambung/core/provider/index";
import * as Features from "@sambung/core/provider/features";
import * as Connection from "@sambung/core/provider/connection";
import { z } from "zod";
import { http } from "../middleware/http.ts";

const Id = z.object({ id: z.string().min(1) });

export const list = http(
  { auth: { role: "viewer" }, query: z.object({ type: Provider.ProviderType.optional(), locationId: z.string().optional() }) },
  async ({ ports, principal, query }) => {
    const providers = await Provider.list(ports, principal.tenantId, query);
    const counts: Record<string, number> = {};
    for (const provider of providers) counts[provider.type] = (counts[provider.type] ?? 0) + 1;
    return { body: { items: providers.map((provider) => ({ ...Provider.view(ports, provider), inherited: provider.inherited })), counts } };
  },
);

export const create = http({ auth: { role: "admin" }, body: Provider.CreateProvider }, async ({ ports, principal, body }) => ({
  status: 201,
  body: await Provider.create(ports, principal, body),
}));

export const get = http({ auth: { role: "viewer" }, params: Id }, async ({ ports, principal, params }) => ({
  body: Provider.view(ports, await Provider.get(ports, principal.tenantId, params.id)),
}));

export const update = http({ auth: { role: "admin" }, params: Id, body: Provider.UpdateProvider }, async ({ ports, principal, params, body }) => ({
  body: await Provider.update(ports, principal, params.id, body),
}));

export const remove = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => {
  await Provider.remove(ports, principal, params.id);
  return {};
});

export const test = http({ auth: { role: "admin" }, params: Id }, async ({ ports, principal, params }) => ({
  body: await Connection.test(ports, principal, params.id),
}));

export const getFeatures = http(
  { auth: { role: "viewer" }, query: z.object({ locationId: z.string().optional() }) },
  async ({ ports, principal, query }) => ({ body: await Features.get(ports, principal.tenantId, query.locationId) }),
);

export const putFeatures = http({ auth: { role: "admin" }, body: Features.PutFeatures }, async ({ ports, principal, body }) => ({
  body: { items: await Features.put(ports, principal, body) },
}));
