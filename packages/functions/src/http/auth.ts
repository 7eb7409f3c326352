import * as Tenant from "@sambung/core/tenant/index";
import { http } from "../middleware/http.ts";

let bootstrapped: Promise<unknown> | undefined;

export const login = http({ auth: { public: true }, body: Tenant.Login }, async ({ ports, body }) => {
  // On AWS there is no start-up hook: the first sign-in after deploy creates the configured owner.
  if (process.env.SAMBUNG_OWNER_EMAIL && process.env.SAMBUNG_OWNER_PASSWORD) {
    bootstrapped ??= Tenant.bootstrap(ports, { email: process.env.SAMBUNG_OWNER_EMAIL, password: process.env.SAMBUNG_OWNER_PASSWORD });
    await bootstrapped;
  }
  const session = await Tenant.login(ports, body);
  return { body: { token: session.token, expiresIn: session.expiresIn, user: session.user } };
});

export const setup = http({ auth: { public: true }, body: Tenant.Setup }, async ({ ports, body }) => {
  const session = await Tenant.completeSetup(ports, body);
  return { status: 201, body: { token: session.token, expiresIn: session.expiresIn, user: session.user } };
});

export const me = http({ auth: { role: "viewer" } }, async ({ ports, principal }) => ({
  body: { principal, tenant: await Tenant.getTenant(ports, principal.tenantId) },
}));
