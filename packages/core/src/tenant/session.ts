import { jwtVerify, SignJWT, errors } from "jose";
import { z } from "zod";
import { UnauthorizedError } from "../error.ts";
import type { PlatformSecrets } from "../port.ts";
import { Role } from "./model.ts";

const SECRET_NAME = "session-signing-key";
const ISSUER = "sambung";
export const SESSION_TTL_SECONDS = 60 * 60;

const Claims = z.object({
  sub: z.string(),
  tid: z.string(),
  email: z.string(),
  role: Role,
  sa: z.boolean(),
});
export type SessionClaims = z.infer<typeof Claims>;

const keys = new WeakMap<PlatformSecrets, Promise<Uint8Array>>();

async function key(secrets: PlatformSecrets): Promise<Uint8Array> {
  let found = keys.get(secrets);
  if (!found) {
    found = secrets.get(SECRET_NAME).then((value) => new TextEncoder().encode(value));
    keys.set(secrets, found);
  }
  return found;
}

/**
 * Tokens already verified, until they expire: a session makes many calls, and an
 * HMAC check per call is the biggest cost of an authenticated request. A token is
 * immutable, so a cached verdict stays right until its expiry.
 */
const verifiedBy = new WeakMap<PlatformSecrets, Map<string, { claims: SessionClaims; expiresAtMs: number }>>();
const VERIFIED_MAX = 2_000;

export async function issue(secrets: PlatformSecrets, claims: SessionClaims, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ tid: claims.tid, email: claims.email, role: claims.role, sa: claims.sa })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + SESSION_TTL_SECONDS)
    .sign(await key(secrets));
}

export async function verify(secrets: PlatformSecrets, token: string, nowMs: number): Promise<SessionClaims> {
  let verified = verifiedBy.get(secrets);
  if (!verified) {
    verified = new Map();
    verifiedBy.set(secrets, verified);
  }
  const cached = verified.get(token);
  if (cached && cached.expiresAtMs > nowMs) return cached.claims;
  try {
    const { payload } = await jwtVerify(token, await key(secrets), {
      issuer: ISSUER,
      algorithms: ["HS256"],
      currentDate: new Date(nowMs),
    });
    const claims = Claims.parse(payload);
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(token, { claims, expiresAtMs: (payload.exp ?? 0) * 1000 });
    return claims;
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new UnauthorizedError("the session has expired: sign in again");
    throw new UnauthorizedError("the session token is not valid: sign in again");
  }
}
