import type { Verifier } from "./types.ts";
import {
  MISMATCH,
  NO_SECRET,
  fail,
  header,
  headerParam,
  hmac,
  isRecord,
  looksLikeJson,
  ok,
  parseForm,
  parseJson,
  safeEqual,
  secretFrom,
  stringListParam,
  strParam,
} from "./util.ts";

const hex4 = (code: number): string => `\\u${code.toString(16).padStart(4, "0")}`;

/** A string as PHP's json_encode() writes it with default flags: "/" → "\/", non-ASCII → \uXXXX. */
function phpString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const char = value[i] ?? "";
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "/") out += "\\/";
    else if (code === 0x08) out += "\\b";
    else if (code === 0x0c) out += "\\f";
    else if (code === 0x0a) out += "\\n";
    else if (code === 0x0d) out += "\\r";
    else if (code === 0x09) out += "\\t";
    else if (code < 0x20 || code > 0x7f) out += hex4(code);
    else out += char;
  }
  return `${out}"`;
}

/**
 * PHP json_encode() with default flags, for values that came out of
 * json_decode($raw, true) or a form: an empty or 0..n-1-keyed object is a list.
 */
export function phpJsonEncode(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "0";
  if (typeof value === "string") return phpString(value);
  if (Array.isArray(value)) return `[${value.map(phpJsonEncode).join(",")}]`;
  if (isRecord(value)) return encodeEntries(Object.entries(value));
  return "null";
}

function encodeEntries(entries: [string, unknown][]): string {
  if (entries.every(([key], index) => key === String(index))) return `[${entries.map(([, v]) => phpJsonEncode(v)).join(",")}]`;
  return `{${entries.map(([key, v]) => `${phpString(key)}:${phpJsonEncode(v)}`).join(",")}}`;
}

/** PHP intval() of a form string: the leading integer, else 0. */
function intval(value: unknown): number {
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  const parsed = Number.parseInt(String(value ?? "").trim(), 10);
  return Number.isNaN(parsed) ? 0 : parsed;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const localeOrder = (a: string, b: string): number => a.localeCompare(b);

/**
 * iPaymu (API v2) callback: `X-Signature` (or a body `signature` field) = hex
 * HMAC-SHA256(key = the merchant VA number, JSON of the callback fields with
 * keys sorted A-Z, as PHP json_encode writes it — "/" escaped as "\/").
 * For form-encoded callbacks (the default content type) the docs have the
 * receiver restore types first: trx_id, status_code, transaction_status_code,
 * paid_off → integer; is_escrow → boolean; additional_info "[]" → [] and added
 * as [] when absent. JSON callbacks are re-encoded as received.
 * Docs: https://github.com/ipaymu/docs-ipaymu-api-v2 content/docs/callback.en.mdx
 * ("Signature Validation"). The docs' PHP/Go/Rust samples sort keys bytewise,
 * the JavaScript sample with localeCompare; both orders, and both the as-sent
 * and type-restored JSON forms, are tried — every candidate is keyed with the
 * secret, so accepting either costs no security.
 *
 * Params: `key` — the VA number, as the preset says `"{{config.va}}"` (the hub
 * fills config references in before calling); else the secret named by
 * `secretField` (default "webhookSecret", where owners used to enter the VA);
 * else `va` (the VA as a plain param); `header` (default "X-Signature");
 * `integerFields`, `booleanFields`, `dropFields` (default ["signature"])
 * override the documented lists. No timestamp is signed.
 * Event id: `trx_id:status_code`.
 */
export const ipaymuSignature: Verifier = (input) => {
  const configured = strParam(input.params, "key");
  // A reference the hub could not fill ("{{secrets.x}}", a typo) is no key.
  const key = (configured && !configured.includes("{{") ? configured : undefined) ?? secretFrom(input, "webhookSecret") ?? strParam(input.params, "va");
  if (!key) return fail(NO_SECRET);
  const integerFields = stringListParam(input.params, "integerFields") ?? ["trx_id", "status_code", "transaction_status_code", "paid_off"];
  const booleanFields = stringListParam(input.params, "booleanFields") ?? ["is_escrow"];
  const dropFields = stringListParam(input.params, "dropFields") ?? ["signature"];

  let fields: Record<string, unknown>;
  const json = looksLikeJson(input);
  if (json) {
    const parsed = parseJson(input.rawBody);
    if (!isRecord(parsed)) return fail("body is not a JSON object");
    fields = parsed;
  } else {
    fields = {};
    for (const [name, value] of parseForm(input.rawBody)) fields[name] = value;
  }

  const name = headerParam(input.params, ["header", "signatureHeader"], "signature", "X-Signature");
  const bodySignature = fields["signature"];
  const received = header(input, name) ?? (typeof bodySignature === "string" && bodySignature ? bodySignature : undefined);
  if (!received) return fail(`missing ${name} header`);

  const asSent = Object.entries(fields).filter(([field]) => !dropFields.includes(field));
  const restored = asSent.map(([field, value]): [string, unknown] => {
    if (integerFields.includes(field)) return [field, intval(value)];
    if (booleanFields.includes(field)) return [field, value === "1" || value === "true" || value === true || value === 1];
    if (field === "additional_info" && value === "[]") return [field, []];
    return [field, value];
  });
  if (!restored.some(([field]) => field === "additional_info")) restored.push(["additional_info", []]);

  const candidates = new Set<string>();
  for (const entries of json ? [asSent, restored] : [restored]) {
    for (const order of [byteOrder, localeOrder]) {
      candidates.add(encodeEntries([...entries].sort(([a], [b]) => order(a, b))));
    }
  }
  let matched = false;
  for (const canonical of candidates) {
    if (safeEqual(received, hmac("sha256", key, canonical).toString("hex"))) matched = true;
  }
  if (!matched) return fail(MISMATCH);
  const trx = fields["trx_id"];
  const status = fields["status_code"];
  return ok(trx !== undefined && status !== undefined ? `${String(trx)}:${String(status)}` : undefined);
};
