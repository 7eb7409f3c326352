import * as Tenant from "@sambung/core/tenant/index";
import { z } from "zod";
import { http } from "../middleware/http.ts";

export const listTenants = http({ auth: { role: "superadmin" } }, async ({ ports }) => ({
  body: { items: await Tenant.listTenants(ports) },
}));

export const createTenant = http(
  { auth: { role: "superadmin" }, body: Tenant.CreateTenant.extend({ owner: Tenant.CreateUser.omit({ role: true }) }) },
  async ({ ports, body }) => {
    const tenant = await Tenant.createTenant(ports, body);
    const owner = await Tenant.createUser(ports, tenant.id, { ...body.owner, role: "owner" });
    return { status: 201, body: { tenant, owner } };
  },
);

export const listLocations = http({ auth: { role: "viewer" } }, async ({ ports, principal }) => ({
  body: { items: await Tenant.listLocations(ports, principal.tenantId) },
}));

export const createLocation = http({ auth: { role: "admin" }, body: Tenant.CreateLocation }, async ({ ports, principal, body }) => ({
  status: 201,
  body: await Tenant.createLocation(ports, principal, body),
}));

export const listUsers = http({ auth: { role: "admin" } }, async ({ ports, principal }) => ({
  body: { items: await Tenant.listUsers(ports, principal.tenantId) },
}));

export const createUser = http({ auth: { role: "owner" }, body: Tenant.CreateUser }, async ({ ports, principal, body }) => ({
  status: 201,
  body: await Tenant.createUser(ports, principal.tenantId, body, { actor: principal }),
}));

export const listApiKeys = http({ auth: { role: "admin" } }, async ({ ports, principal }) => ({
  body: { items: await Tenant.listApiKeys(ports, principal.tenantId) },
}));

export const createApiKey = http({ auth: { role: "admin" }, body: Tenant.CreateApiKey }, async ({ ports, principal, body }) => {
  const created = await Tenant.createApiKey(ports, principal, body);
  return { status: 201, body: { ...created.apiKey, key: created.key, note: "store this key now: it is shown only once" } };
});

export const revokeApiKey = http(
  { auth: { role: "admin" }, params: z.object({ id: z.string().min(1) }) },
  async ({ ports, principal, params }) => ({ body: await Tenant.revokeApiKey(ports, principal, params.id) }),
);
