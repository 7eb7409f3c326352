/**
 * Redaction for anything that leaves the process as text (logs, error bodies):
 * values under secret-looking keys, and secret-looking tokens inside any string.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|signature|cookie|credential|server[-_]?key/i;

const SECRET_VALUE = [
  /\b(sk|pk|rk|whsec|xnd|SB-Mid-server)_[A-Za-z0-9+/=_-]{8,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\bBasic\s+[A-Za-z0-9+/=]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
];

export const REDACTED = "[redacted]";

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const known = new Set<string>();

/** Values that must never be printed, whatever key they hide under (decrypted credentials). */
export function registerSecretValue(value: string): void {
  if (value.length >= 6) known.add(value);
}

export function redactString(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, REDACTED);
  for (const value of known) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}

/** A JSON.stringify replacer that redacts by key and by value. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key && isSecretKey(key) && value !== null && value !== undefined && typeof value !== "object") return REDACTED;
  if (typeof value === "string") return redactString(value);
  return value;
}

/** Masks a secret for display: bullets and the last four characters. */
export function mask(value: string): string {
  return value.length <= 4 ? "••••" : `••••${value.slice(-4)}`;
}
