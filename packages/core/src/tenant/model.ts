import { z } from "zod";

export const Role = z.enum(["viewer", "admin", "owner"]);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** What a machine caller's API key may do. */
export const ApiScope = z.enum(["payments", "events", "messages", "ari", "files", "captcha", "ai", "*"]);
export type ApiScope = z.infer<typeof ApiScope>;

export const Tenant = z.object({
  id: z.string(),
  name: z.string().min(1).max(120),
  timeZone: z.string().default("Asia/Jakarta"),
  locale: z.enum(["en", "id"]).default("en"),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof Tenant>;

export const Location = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string().min(1).max(120),
  code: z.string().max(40).optional(),
  timeZone: z.string().optional(),
  createdAt: z.string(),
});
export type Location = z.infer<typeof Location>;

export const User = z.object({
  id: z.string(),
  tenantId: z.string(),
  email: z.email(),
  name: z.string().max(120).optional(),
  role: Role,
  /** Platform operator: may act in any tenant. */
  superadmin: z.boolean().default(false),
  createdAt: z.string(),
});
export type User = z.infer<typeof User>;

export const ApiKey = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string().min(1).max(120),
  /** The first characters, so an owner can tell keys apart; never the key. */
  prefix: z.string(),
  scopes: z.array(ApiScope).min(1),
  rateLimitPerMinute: z.number().int().min(1).max(100_000),
  locationId: z.string().optional(),
  revokedAt: z.string().optional(),
  lastUsedAt: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** Who is calling: a signed-in person or a machine with an API key. */
export type Principal =
  | { kind: "user"; userId: string; email: string; tenantId: string; role: Role; superadmin: boolean }
  | { kind: "apiKey"; keyId: string; tenantId: string; scopes: ApiScope[]; locationId?: string; rateLimitPerMinute: number };

export function actorOf(principal: Principal): string {
  return principal.kind === "user" ? `user:${principal.email}` : `apiKey:${principal.keyId}`;
}
