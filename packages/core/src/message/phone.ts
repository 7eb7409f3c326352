import { InvalidInputError } from "../error.ts";

/**
 * Phone numbers to E.164 (+<country code><number>, at most 15 digits). Guests'
 * numbers arrive however the PMS stored them: "0812-3456-7890", "62812…",
 * "+62 812 3456 7890", "(0812) 3456 7890", "+62 0812…" (a trunk 0 that does not
 * belong after the country code). A leading 0 is the national trunk prefix of
 * the default country (Indonesia, +62); 00 is the international prefix; digits
 * without either already start with the country code.
 */

export const DEFAULT_COUNTRY_CODE = "62";

const EXAMPLE = "give it in international form (+6281234567890) or as an Indonesian number (081234567890)";

export function normalizePhone(input: string, defaultCountryCode = DEFAULT_COUNTRY_CODE): string {
  const raw = input.trim();
  const problem = (why: string) => new InvalidInputError(`to: "${raw.slice(0, 40)}" ${why}; ${EXAMPLE}`);
  if (!/^\+?[\d\s().\-/]+$/.test(raw)) throw problem("is not a phone number (only digits, spaces, dashes, dots, brackets and a leading + are allowed)");
  const plus = raw.startsWith("+");
  let digits = raw.replace(/\D/g, "");
  if (!plus) {
    if (digits.startsWith("00")) digits = digits.slice(2);
    else if (digits.startsWith("0")) digits = defaultCountryCode + digits.slice(1);
  }
  // "+62 0812…": the national trunk 0 written after the country code.
  if (digits.startsWith(`${defaultCountryCode}0`)) digits = defaultCountryCode + digits.slice(defaultCountryCode.length + 1);
  if (digits.startsWith("0")) throw problem("has no country code");
  if (digits.length < 8) throw problem("is too short for a phone number");
  if (digits.length > 15) throw problem("is too long (E.164 numbers have at most 15 digits)");
  if (digits.startsWith("62")) {
    // Indonesia: a national number of 8 to 12 digits after +62, mobile numbers start with 8.
    const national = digits.slice(2);
    if (national.length < 8 || national.length > 12) throw problem("is not a valid Indonesian number (8 to 12 digits after +62)");
  }
  return `+${digits}`;
}

/** The number without the plus, for APIs that want bare digits (Vonage, WATI). */
export function digitsOf(e164: string): string {
  return e164.replace(/^\+/, "");
}
