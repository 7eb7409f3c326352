import { isSecretKey, REDACTED, redactString } from "../secret/redact.ts";

/**
 * PII masking for what the call log keeps of requests and responses. Masks by
 * key (JSON fields, form fields, XML elements) and by value (card numbers,
 * e-mail addresses, phone numbers, tokens in any text). Over-masking is the safe
 * failure: a product "name" is masked along with a guest's.
 */

const DOT = "•";

const NAME_KEY =
  /^(?:(?:first|last|middle|full|given|family|sur|display|guest|customer|holder|card_?holder|contact|billing|shipping|account_?holder|recipient|sender|buyer|payer)[_-]?name|name|surname|cardholder|holder)$/i;
const EMAIL_KEY = /e-?mail/i;
const PHONE_KEY = /phone|mobile|msisdn|whatsapp|^tel$|telephone|^wa_?id$/i;
const CARD_KEY = /^(?:card_?number|cardnumber|pan|account_?number|number|cc_?number|card_?no)$/i;
const CVV_KEY = /^(?:cvv2?|cvc2?|csc|security_?code|pin)$/i;
const ADDRESS_KEY = /^(?:address|address_?line\d?|street|line[12]|addr)$/i;
const ID_DOC_KEY = /passport|national_?id|nik|ktp|id_?number|date_?of_?birth|dob|birth_?date/i;

function maskName(value: string): string {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `${word[0] ?? ""}${DOT.repeat(3)}`)
    .join(" ");
}

function maskEmailAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return `${DOT.repeat(3)}`;
  return `${address[0] ?? ""}${DOT.repeat(3)}@${address.slice(at + 1)}`;
}

/** Digits become dots except the last `keep`; separators stay. */
function maskDigits(value: string, keep: number): string {
  const total = (value.match(/\d/g) ?? []).length;
  let seen = 0;
  return value.replace(/\d/g, (digit) => {
    seen += 1;
    return seen > total - keep ? digit : DOT;
  });
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** International (+62 812-3456-7890), national with a trunk 0 (081234567890), or (021) 555-0123. */
const PHONE = /(?:\+\d[\d\s().-]{6,}\d|\b0\d{8,13}\b|\(\d{2,4}\)\s?\d[\d\s-]{4,}\d)/g;

/** Masks PII and secrets inside free text. */
export function maskText(text: string): string {
  let out = redactString(text);
  out = out.replace(CARD, (match) => {
    const digits = match.replace(/\D/g, "");
    return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? maskDigits(match, 4) : match;
  });
  out = out.replace(EMAIL, maskEmailAddress);
  out = out.replace(PHONE, (match) => maskDigits(match, 2));
  return out;
}

function maskByKey(key: string, value: string): string | undefined {
  if (isSecretKey(key) || CVV_KEY.test(key)) return REDACTED;
  if (NAME_KEY.test(key)) return maskName(value);
  if (EMAIL_KEY.test(key) && value.includes("@")) return maskEmailAddress(value);
  if (PHONE_KEY.test(key)) return maskDigits(value, 2);
  if (CARD_KEY.test(key)) return /\d{6,}/.test(value.replace(/[ -]/g, "")) ? maskDigits(value, 4) : undefined;
  if (ADDRESS_KEY.test(key) || ID_DOC_KEY.test(key)) return value.length > 0 ? `${DOT.repeat(3)}` : value;
  return undefined;
}

function maskValue(value: unknown, key: string, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (depth > 20) return "[too deep]";
  if (Array.isArray(value)) return value.map((entry) => maskValue(entry, key, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [child, entry] of Object.entries(value)) out[child] = maskValue(entry, child, depth + 1);
    return out;
  }
  if (typeof value === "string") return (key ? maskByKey(key, value) : undefined) ?? maskString(value);
  if (typeof value === "number" || typeof value === "bigint") {
    if (key) {
      const byKey = maskByKey(key, String(value));
      if (byKey !== undefined) return byKey;
    }
    return value;
  }
  return value;
}

const FORM = /^[A-Za-z0-9_.\-[\]%]+=[^&]*(?:&[A-Za-z0-9_.\-[\]%]+=[^&]*)*$/;
const XML_ELEMENT = /<((?:[\w-]+:)?([\w-]+))(\s[^>]*)?>([^<]*)<\/\1>/g;

function maskString(text: string): string {
  const trimmed = text.trim();
  if ((trimmed.startsWith("{") && trimmed.endsWith("}")) || (trimmed.startsWith("[") && trimmed.endsWith("]"))) {
    try {
      return JSON.stringify(maskValue(JSON.parse(trimmed), "", 0));
    } catch {
      // not JSON after all: mask as text
    }
  }
  if (FORM.test(trimmed) && trimmed.includes("=")) {
    const params = new URLSearchParams(trimmed);
    const out = new URLSearchParams();
    for (const [key, value] of params) out.append(key, String(maskValue(value, key, 1)));
    return out.toString().replaceAll("%E2%80%A2", DOT);
  }
  if (trimmed.startsWith("<")) {
    const masked = text.replace(XML_ELEMENT, (whole, tag: string, local: string, attributes: string | undefined, inner: string) => {
      const byKey = maskByKey(local, inner);
      return byKey === undefined ? whole : `<${tag}${attributes ?? ""}>${byKey}</${tag}>`;
    });
    return maskText(masked);
  }
  return maskText(text);
}

/**
 * `value` with PII masked: objects by key and value, strings as JSON, form or
 * XML bodies when they parse as one, else as text.
 */
export function maskPii<T>(value: T): T {
  return maskValue(value, "", 0) as T;
}

/** A masked, bounded text summary for the call log. */
export function summarize(value: unknown, limit = 2_048): string | undefined {
  if (value === undefined) return undefined;
  const masked = maskPii(value);
  const text = typeof masked === "string" ? masked : JSON.stringify(masked);
  if (text === undefined) return undefined;
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length - limit} more characters)` : text;
}
