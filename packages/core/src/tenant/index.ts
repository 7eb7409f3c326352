import { createHash, randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import * as Audit from "../audit/index.ts";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../error.ts";
import { ConditionFailedError, type Ports } from "../port.ts";
import { apiKeyHashPk, apiKeySk, emailPk, locationSk, LOOKUP_SK, SETUP_PK, TENANT_SK, tenantPk, TENANTS_PK, userSk } from "./keys.ts";
import { actorOf, ApiKey, ApiScope, Location, Role, roleAtLeast, Tenant, User, type Principal } from "./model.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./password.ts";
import * as Session from "./session.ts";
import { VersionedCache } from "../versioned-cache.ts";

export { ApiKey, ApiScope, Location, Role, roleAtLeast, Tenant, User, actorOf, type Principal } from "./model.ts";
export { SESSION_TTL_SECONDS } from "./session.ts";
export { consumeApiKeyBudget } from "./rate-limit.ts";

const iso = (ports: Ports) => new Date(ports.clock.now()).toISOString();

/** Lookup items: an e-mail address or an API key's hash pointing at the record. */
const UserLookup = z.object({ tenantId: z.string(), userId: z.string() });
const ApiKeyLookup = z.object({ tenantId: z.string(), keyId: z.string() });
/** Every API call reads its key: parsed once per version of the key (a revocation is one). */
const apiKeyRefs = new VersionedCache((item) => ApiKeyLookup.parse(item.data));
const apiKeys = new VersionedCache((item) => ApiKey.parse(item.data));

// ------------------------------------------------------------------ tenants and locations

export const CreateTenant = z.object({
  name: z.string().trim().min(1).max(120),
  timeZone: z.string().default("Asia/Jakarta"),
  locale: z.enum(["en", "id"]).default("en"),
});

export async function createTenant(ports: Ports, input: z.input<typeof CreateTenant>): Promise<Tenant> {
  const parsed = CreateTenant.parse(input);
  const tenant = Tenant.parse({ id: `ten_${randomUUID()}`, ...parsed, createdAt: iso(ports) });
  await ports.store.put({ pk: tenantPk(tenant.id), sk: TENANT_SK, gsi1pk: TENANTS_PK, gsi1sk: tenant.createdAt, data: tenant }, { ifNotExists: true });
  return tenant;
}

export async function getTenant(ports: Ports, tenantId: string): Promise<Tenant> {
  const item = await ports.store.get(tenantPk(tenantId), TENANT_SK);
  if (!item) throw new NotFoundError(`tenant ${tenantId}`);
  return Tenant.parse(item.data);
}

export async function listTenants(ports: Ports): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  let cursor: string | undefined;
  do {
    const page = await ports.store.query(TENANTS_PK, { index: "gsi1", cursor, limit: 500 });
    tenants.push(...page.items.map((item) => Tenant.parse(item.data)));
    cursor = page.cursor;
  } while (cursor);
  return tenants;
}

export const CreateLocation = z.object({
  name: z.string().trim().min(1).max(120),
  code: z.string().trim().max(40).optional(),
  timeZone: z.string().optional(),
});

export async function createLocation(ports: Ports, principal: Principal, input: z.input<typeof CreateLocation>): Promise<Location> {
  const location = Location.parse({
    id: `loc_${randomUUID()}`,
    tenantId: principal.tenantId,
    ...CreateLocation.parse(input),
    createdAt: iso(ports),
  });
  await ports.store.put({ pk: tenantPk(location.tenantId), sk: locationSk(location.id), data: location }, { ifNotExists: true });
  await Audit.record(ports, principal, { action: "location.created", target: location.id, changed: ["name", "code", "timeZone"] });
  return location;
}

export async function listLocations(ports: Ports, tenantId: string): Promise<Location[]> {
  const page = await ports.store.query(tenantPk(tenantId), { prefix: "LOC#", limit: 1000 });
  return page.items.map((item) => Location.parse(item.data));
}

/** The location if it belongs to the tenant; another tenant's location is "not found", never revealed. */
export async function getLocation(ports: Ports, tenantId: string, locationId: string): Promise<Location> {
  const item = await ports.store.get(tenantPk(tenantId), locationSk(locationId));
  if (!item) throw new NotFoundError(`location ${locationId}`);
  return Location.parse(item.data);
}

// ------------------------------------------------------------------ users and sign-in

export const CreateUser = z.object({
  email: z.email().transform((email) => email.toLowerCase()),
  password: z.string().max(200),
  name: z.string().trim().max(120).optional(),
  role: Role,
});

interface StoredUser extends User {
  passwordHash: string;
}

export async function createUser(
  ports: Ports,
  tenantId: string,
  input: z.input<typeof CreateUser>,
  options: { superadmin?: boolean; actor?: Principal } = {},
): Promise<User> {
  const parsed = CreateUser.parse(input);
  const problem = passwordProblem(parsed.password);
  if (problem) throw new InvalidInputError(problem);
  const user = User.parse({
    id: `usr_${randomUUID()}`,
    tenantId,
    email: parsed.email,
    name: parsed.name,
    role: parsed.role,
    superadmin: options.superadmin ?? false,
    createdAt: iso(ports),
  });
  try {
    // The e-mail lookup is written first: it is what makes an address unique across tenants.
    await ports.store.put({ pk: emailPk(user.email), sk: LOOKUP_SK, data: { tenantId, userId: user.id } }, { ifNotExists: true });
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new ConflictError(`a user with e-mail ${user.email} already exists`);
    throw error;
  }
  const stored: StoredUser = { ...user, passwordHash: await hashPassword(parsed.password) };
  await ports.store.put({ pk: tenantPk(tenantId), sk: userSk(user.id), data: { ...stored } });
  if (options.actor) await Audit.record(ports, options.actor, { action: "user.created", target: user.id, changed: ["email", "role"] });
  return user;
}

export async function listUsers(ports: Ports, tenantId: string): Promise<User[]> {
  const page = await ports.store.query(tenantPk(tenantId), { prefix: "USER#", limit: 1000 });
  return page.items.map((item) => User.parse(item.data));
}

export const Login = z.object({ email: z.email(), password: z.string().min(1).max(200) });

let dummyHash: Promise<string> | undefined;

const BAD_LOGIN = "that e-mail and password do not match an account";

export async function login(ports: Ports, input: z.input<typeof Login>): Promise<{ token: string; expiresIn: number; user: User }> {
  const { email, password } = Login.parse(input);
  const lookup = await ports.store.get(emailPk(email), LOOKUP_SK);
  const ref = lookup ? UserLookup.parse(lookup.data) : undefined;
  const item = ref ? await ports.store.get(tenantPk(ref.tenantId), userSk(ref.userId)) : undefined;
  if (!item) {
    // Spend the same time as a real check, so response time does not reveal which e-mails exist.
    dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
    await verifyPassword(password, await dummyHash);
    throw new UnauthorizedError(BAD_LOGIN);
  }
  const stored = item.data as unknown as StoredUser;
  if (!(await verifyPassword(password, stored.passwordHash))) throw new UnauthorizedError(BAD_LOGIN);
  const user = User.parse(stored);
  const token = await Session.issue(
    ports.secrets,
    { sub: user.id, tid: user.tenantId, email: user.email, role: user.role, sa: user.superadmin },
    ports.clock.now(),
  );
  return { token, expiresIn: Session.SESSION_TTL_SECONDS, user };
}

// ------------------------------------------------------------------ first start

export const Setup = z.object({
  token: z.string().min(1),
  tenantName: z.string().trim().min(1).max(120),
  email: z.email(),
  password: z.string().max(200),
  timeZone: z.string().default("Asia/Jakarta"),
});

async function hasOwner(ports: Ports): Promise<boolean> {
  const page = await ports.store.query(TENANTS_PK, { index: "gsi1", limit: 1 });
  return page.items.length > 0;
}

/** Creates the first tenant and its owner (also the platform superadmin). */
async function createFirstOwner(ports: Ports, input: { tenantName: string; email: string; password: string; timeZone?: string }): Promise<User> {
  const problem = passwordProblem(input.password);
  if (problem) throw new InvalidInputError(problem);
  const tenant = await createTenant(ports, { name: input.tenantName, timeZone: input.timeZone });
  return createUser(ports, tenant.id, { email: input.email, password: input.password, role: "owner" }, { superadmin: true });
}

/**
 * On a store with no tenant: create the first owner from the given credentials,
 * or else mint a one-time setup token (returned once; stored hashed) whose first
 * user creates the owner. Does nothing once a tenant exists.
 */
export async function bootstrap(
  ports: Ports,
  owner: { email?: string; password?: string },
): Promise<{ kind: "exists" } | { kind: "created"; user: User } | { kind: "setup"; token: string }> {
  if (await hasOwner(ports)) return { kind: "exists" };
  if (owner.email && owner.password) {
    return { kind: "created", user: await createFirstOwner(ports, { tenantName: "My business", email: owner.email, password: owner.password }) };
  }
  const token = randomBytes(24).toString("base64url");
  await ports.store.put({ pk: SETUP_PK, sk: "TOKEN", data: { hash: sha256(token) } });
  return { kind: "setup", token };
}

export async function completeSetup(ports: Ports, input: z.input<typeof Setup>): Promise<{ token: string; expiresIn: number; user: User }> {
  const parsed = Setup.parse(input);
  // Before the one-time token is spent: a too-short password must not burn the link.
  const problem = passwordProblem(parsed.password);
  if (problem) throw new InvalidInputError(problem);
  const item = await ports.store.get(SETUP_PK, "TOKEN");
  if (!item || item.data.hash !== sha256(parsed.token)) {
    throw new ForbiddenError("this setup link is not valid or was already used; restart the hub to get a new one");
  }
  if (await hasOwner(ports)) throw new ConflictError("the hub already has an owner; sign in instead");
  // Consuming the token with its version makes two racing visitors end with one owner.
  try {
    await ports.store.delete(SETUP_PK, "TOKEN", { ifVersion: item.version });
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new ForbiddenError("this setup link was just used; sign in instead");
    throw error;
  }
  await createFirstOwner(ports, parsed);
  return login(ports, { email: parsed.email, password: parsed.password });
}

// ------------------------------------------------------------------ API keys

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export const CreateApiKey = z.object({
  name: z.string().trim().min(1).max(120),
  scopes: z.array(ApiScope).min(1).default(["*"]),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).default(600),
  locationId: z.string().optional(),
});

/** The key itself is in the answer once; only its SHA-256 is stored (it has 256 bits of entropy, so no slow hash is needed). */
export async function createApiKey(ports: Ports, principal: Principal, input: z.input<typeof CreateApiKey>): Promise<{ key: string; apiKey: ApiKey }> {
  const parsed = CreateApiKey.parse(input);
  if (parsed.locationId) await getLocation(ports, principal.tenantId, parsed.locationId);
  const secret = `sk_live_${randomBytes(32).toString("base64url")}`;
  const apiKey = ApiKey.parse({
    id: `key_${randomUUID()}`,
    tenantId: principal.tenantId,
    name: parsed.name,
    prefix: secret.slice(0, 12),
    scopes: parsed.scopes,
    rateLimitPerMinute: parsed.rateLimitPerMinute,
    locationId: parsed.locationId,
    createdBy: actorOf(principal),
    createdAt: iso(ports),
  });
  await ports.store.put({ pk: apiKeyHashPk(sha256(secret)), sk: LOOKUP_SK, data: { tenantId: apiKey.tenantId, keyId: apiKey.id } }, { ifNotExists: true });
  await ports.store.put({ pk: tenantPk(apiKey.tenantId), sk: apiKeySk(apiKey.id), data: apiKey });
  await Audit.record(ports, principal, { action: "api_key.created", target: apiKey.id, changed: ["name", "scopes", "rateLimitPerMinute"] });
  return { key: secret, apiKey };
}

export async function listApiKeys(ports: Ports, tenantId: string): Promise<ApiKey[]> {
  const page = await ports.store.query(tenantPk(tenantId), { prefix: "APIKEY#", limit: 1000 });
  return page.items.map((item) => ApiKey.parse(item.data));
}

export async function revokeApiKey(ports: Ports, principal: Principal, keyId: string): Promise<ApiKey> {
  const item = await ports.store.get(tenantPk(principal.tenantId), apiKeySk(keyId));
  if (!item) throw new NotFoundError(`API key ${keyId}`);
  const key = ApiKey.parse(item.data);
  if (key.revokedAt) return key;
  const revoked = { ...key, revokedAt: iso(ports) };
  await ports.store.put({ ...item, data: revoked }, { ifVersion: item.version });
  await Audit.record(ports, principal, { action: "api_key.revoked", target: keyId, changed: ["revokedAt"] });
  return revoked;
}

// ------------------------------------------------------------------ who is calling

/**
 * Resolves `Authorization: Bearer …` to a principal: `sk_…` is an API key, anything
 * else a session token. A superadmin may act in another tenant with `actAsTenant`.
 */
export async function authenticate(ports: Ports, authorization: string | undefined, actAsTenant?: string): Promise<Principal> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) throw new UnauthorizedError();
  if (token.startsWith("sk_")) {
    const ref = await apiKeyRefs.get(ports, apiKeyHashPk(sha256(token)), LOOKUP_SK);
    const key = ref ? await apiKeys.get(ports, tenantPk(ref.tenantId), apiKeySk(ref.keyId)) : undefined;
    if (!key) throw new UnauthorizedError("that API key is not valid");
    if (key.revokedAt) throw new UnauthorizedError("that API key was revoked; create a new one in the admin app");
    return {
      kind: "apiKey",
      keyId: key.id,
      tenantId: key.tenantId,
      scopes: key.scopes,
      locationId: key.locationId,
      rateLimitPerMinute: key.rateLimitPerMinute,
    };
  }
  const claims = await Session.verify(ports.secrets, token, ports.clock.now());
  const principal: Principal = {
    kind: "user",
    userId: claims.sub,
    email: claims.email,
    tenantId: claims.tid,
    role: claims.role,
    superadmin: claims.sa,
  };
  if (actAsTenant && actAsTenant !== claims.tid) {
    if (!claims.sa) throw new ForbiddenError("only a platform superadmin can act in another tenant");
    await getTenant(ports, actAsTenant);
    return { ...principal, tenantId: actAsTenant, role: "owner" };
  }
  return principal;
}

export function requireRole(principal: Principal, role: Role | "superadmin"): void {
  if (principal.kind !== "user") throw new ForbiddenError("this needs a signed-in user, not an API key");
  if (role === "superadmin") {
    if (!principal.superadmin) throw new ForbiddenError("this needs a platform superadmin");
    return;
  }
  if (!roleAtLeast(principal.role, role)) throw new ForbiddenError(`this needs the ${role} role; you are ${principal.role}`);
}

export function requireScope(principal: Principal, scope: ApiScope): void {
  if (principal.kind !== "apiKey") throw new ForbiddenError("this is for API keys (Authorization: Bearer sk_…)");
  if (!principal.scopes.includes("*") && !principal.scopes.includes(scope)) {
    throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
  }
}
