import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { VerifierInput, VerifyResult } from "./types.ts";

export const ok = (eventId?: string): VerifyResult => (eventId ? { ok: true, eventId } : { ok: true });
export const fail = (reason: string): VerifyResult => ({ ok: false, reason });

export const MISMATCH = "signature does not match";
export const NO_SECRET = "webhook secret is not configured";

/**
 * Constant-time string comparison. Buffers of different lengths are never
 * compared byte by byte: a dummy comparison of equal length runs instead, and
 * the answer is false. Use for signatures, whose length is public (fixed by the
 * algorithm).
 */
export function safeEqual(received: string, expected: string): boolean {
  const a = Buffer.from(received, "utf8");
  const b = Buffer.from(expected, "utf8");
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Constant-time comparison of credentials (tokens, passwords) whose length is
 * itself secret: both sides are hashed first, so the comparison is always over
 * 32 equal-length bytes.
 */
export function safeEqualSecret(received: string, expected: string): boolean {
  const a = createHash("sha256").update(received, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** True when any candidate matches; every candidate is compared (no early exit). */
export function anyEqual(candidates: readonly string[], expected: string): boolean {
  let found = false;
  for (const candidate of candidates) if (safeEqual(candidate, expected)) found = true;
  return found;
}

export function hmac(algorithm: "sha1" | "sha256", key: string | Buffer, data: string): Buffer {
  return createHmac(algorithm, key).update(data, "utf8").digest();
}

// ---- params ----------------------------------------------------------------

const CONFIG_REF = /\{\{\s*config\.([A-Za-z0-9_.-]+)\s*\}\}/g;

function configValue(config: Record<string, unknown>, path: string): string {
  let current: unknown = config;
  for (const part of path.split(".")) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return "";
    current = current[part];
  }
  return typeof current === "string" || typeof current === "number" || typeof current === "boolean" ? String(current) : "";
}

/**
 * A record's signature params with `{{config.<path>}}` filled in from the same
 * record (iPaymu's `key: "{{config.va}}"`): a reference to a value the record
 * lacks becomes "", which verifiers read as absent. `{{secrets.*}}` stays as
 * written — secrets reach verifiers only through `input.secrets`.
 */
export function resolveConfigRefs(params: Record<string, unknown>, config: Record<string, unknown>): Record<string, unknown> {
  const resolve = (value: unknown): unknown => {
    if (typeof value === "string") return value.includes("{{") ? value.replace(CONFIG_REF, (_, path: string) => configValue(config, path)) : value;
    if (Array.isArray(value)) return value.map(resolve);
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, resolve(inner)]));
    return value;
  };
  return resolve(params) as Record<string, unknown>;
}

export function strParam(params: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = params[name];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

export function numParam(params: Record<string, unknown>, name: string, fallback: number): number {
  const value = params[name];
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/**
 * A header name from params: one of `flatNames` (e.g. `header`, `timestampHeader`),
 * else `params.headers[nestedName]` (the `{ id, timestamp, signature }` form some
 * presets use), else the method's default. Returned as configured; lookups lower-case it.
 */
export function headerParam(params: Record<string, unknown>, flatNames: string[], nestedName: string, fallback: string): string {
  const flat = strParam(params, ...flatNames);
  if (flat) return flat;
  const nested = params["headers"];
  if (isRecord(nested)) {
    const value = nested[nestedName];
    if (typeof value === "string" && value !== "") return value;
  }
  return fallback;
}

export function stringListParam(params: Record<string, unknown>, name: string): string[] | undefined {
  const value = params[name];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string")) return undefined;
  return value;
}

/**
 * The secret a verifier signs with: `secrets[params.secretField]` (alias
 * `params.secret`, the name presets use), else `secrets[defaultField]`.
 */
export function secretFrom(input: VerifierInput, defaultField: string): string | undefined {
  const field = strParam(input.params, "secretField", "secret") ?? defaultField;
  const value = Object.hasOwn(input.secrets, field) ? input.secrets[field] : undefined;
  return value ? value : undefined;
}

export function header(input: VerifierInput, name: string): string | undefined {
  const value = input.headers[name.toLowerCase()];
  return value === undefined || value === "" ? undefined : value;
}

// ---- bodies ----------------------------------------------------------------

export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function contentType(input: VerifierInput): string {
  return (input.headers["content-type"] ?? "").toLowerCase();
}

export function looksLikeJson(input: VerifierInput): boolean {
  const type = contentType(input);
  if (type.includes("json")) return true;
  if (type.includes("x-www-form-urlencoded") || type.includes("multipart/form-data")) return false;
  const first = input.rawBody.trimStart()[0];
  return first === "{" || first === "[";
}

/** Form fields in order; a repeated name yields several entries. */
export function parseForm(raw: string): [string, string][] {
  return [...new URLSearchParams(raw).entries()];
}

/** Text fields of a multipart/form-data body (file parts are skipped). */
export function parseMultipart(input: VerifierInput): [string, string][] {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(input.headers["content-type"] ?? "");
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return [];
  const fields: [string, string][] = [];
  for (const part of input.rawBody.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) continue;
    const head = part.slice(0, split);
    if (/filename=/i.test(head)) continue;
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    fields.push([name, part.slice(split + 4).replace(/\r\n$/, "")]);
  }
  return fields;
}

// ---- time ------------------------------------------------------------------

/** Whole seconds as sent (digits only); anything else is not a timestamp. */
export function unixSeconds(value: string): number | undefined {
  return /^\d{1,12}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

export function outsideTolerance(timestampSeconds: number, nowMs: number, toleranceSeconds: number, pastOnly = false): boolean {
  if (toleranceSeconds <= 0) return false;
  const age = Math.floor(nowMs / 1000) - timestampSeconds;
  return pastOnly ? age > toleranceSeconds : Math.abs(age) > toleranceSeconds;
}

export const toleranceReason = (seconds: number): string => `timestamp outside the ${seconds} s tolerance`;

/** The path of a URL exactly as written (no normalisation), "/" when empty. */
export function rawPath(url: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url);
  const path = match ? match[1] : url.split(/[?#]/)[0];
  return path || "/";
}
