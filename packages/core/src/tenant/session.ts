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

async function key(secrets: PlatformSecrets): Promise<Uint8Array> {
  return new TextEncoder().encode(await secrets.get(SECRET_NAME));
}

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
  try {
    const { payload } = await jwtVerify(token, await key(secrets), {
      issuer: ISSUER,
      algorithms: ["HS256"],
      currentDate: new Date(nowMs),
    });
    return Claims.parse(payload);
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new UnauthorizedError("the session has expired: sign in again");
    throw new UnauthorizedError("the session token is not valid: sign in again");
  }
}
