import type { Ports } from "@sambung/core/port";
import * as Tenant from "@sambung/core/tenant/index";
import { logger } from "../log.ts";
import { http } from "../middleware/http.ts";

/** The platform secret's fields (Secrets Manager JSON) that name the first owner on AWS; see docs/deploy.md. */
export const OWNER_EMAIL_SECRET = "owner-email";
export const OWNER_PASSWORD_SECRET = "owner-password";

/** Per ports (one per Lambda container): settles once the store has an owner, found or created; dropped when creating one failed. */
const owners = new WeakMap<Ports, Promise<unknown>>();

async function optionalSecret(ports: Ports, name: string): Promise<string | undefined> {
  try {
    return await ports.secrets.get(name);
  } catch (error) {
    // SecretsManagerPlatformSecrets' error for a field the secret lacks, told by name: importing the adapter would load its SDK client.
    if (error instanceof Error && error.name === "MissingPlatformSecretError") return undefined;
    throw error;
  }
}

/**
 * On AWS there is no start-up hook, and a password has no place in a function's
 * environment: the first sign-in after a deploy creates the owner the platform
 * secret names in `owner-email` / `owner-password` (docs/deploy.md). The local
 * runtime creates its owner at start, from SAMBUNG_OWNER_EMAIL / _PASSWORD; its
 * file-backed secrets would invent values for absent names, so this skips it.
 */
async function ownerFromPlatformSecret(ports: Ports): Promise<void> {
  if (ports.config.runtime !== "aws") return;
  let owner = owners.get(ports);
  if (!owner) {
    const [email, password] = await Promise.all([optionalSecret(ports, OWNER_EMAIL_SECRET), optionalSecret(ports, OWNER_PASSWORD_SECRET)]);
    // Nothing to create from; look again at the next sign-in, the secret may be filled in meanwhile.
    if (!email || !password) return;
    // Shared, so concurrent first sign-ins in this container create one owner.
    owner = owners.get(ports) ?? Tenant.bootstrap(ports, { email, password });
    owners.set(ports, owner);
  }
  try {
    await owner;
  } catch (error) {
    owners.delete(ports);
    // Sign-in goes on (and fails for want of the owner); the log says what to fix in the secret.
    logger.error("could not create the first owner from the platform secret", { error: error instanceof Error ? error.message : String(error) });
  }
}

export const login = http({ auth: { public: true }, body: Tenant.Login }, async ({ ports, body }) => {
  await ownerFromPlatformSecret(ports);
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
