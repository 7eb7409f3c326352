import { resolve } from "node:path";
import { z } from "zod";

const Flag = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .default("")
  .transform((value) => value === "1" || value === "true" || value === "yes");

/** The local runtime's environment. Every variable is documented in the README. */
export const LocalEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  HOST: z.string().min(1).default("127.0.0.1"),
  SAMBUNG_DATA_DIR: z.string().min(1).default("./.sambung"),
  LOG_LEVEL: z
    .string()
    .default("info")
    .transform((level) => level.toLowerCase())
    .pipe(z.enum(["debug", "info", "warn", "error", "silent", "critical", "trace"])),
  /** Development only: let outgoing webhooks and provider URLs reach private and loopback addresses. */
  SAMBUNG_ALLOW_PRIVATE_URLS: Flag,
  SAMBUNG_OWNER_EMAIL: z.email().optional(),
  SAMBUNG_OWNER_PASSWORD: z.string().min(10, "SAMBUNG_OWNER_PASSWORD needs at least 10 characters").optional(),
});

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  allowPrivateUrls: boolean;
  owner: { email?: string; password?: string };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const parsed = LocalEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`the environment is not valid: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.SAMBUNG_DATA_DIR),
    logLevel: e.LOG_LEVEL,
    allowPrivateUrls: e.SAMBUNG_ALLOW_PRIVATE_URLS,
    owner: { email: e.SAMBUNG_OWNER_EMAIL, password: e.SAMBUNG_OWNER_PASSWORD },
  };
}
