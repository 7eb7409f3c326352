import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import type { HttpResponse } from "../../port.ts";
import { ProviderError } from "../../resilience/errors.ts";

/**
 * XML for the OTA formats, built and read with fast-xml-parser. Attributes are
 * `@_name` keys, text is `#text`; namespace prefixes are dropped when reading
 * (channels differ in whether they prefix), and elements that may repeat are
 * always read as lists so one and many look alike.
 */

export type XmlNode = Record<string, unknown>;

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_", suppressEmptyNode: true, suppressBooleanAttributes: false });

/** Elements read as lists wherever they appear. */
const REPEATED = new Set([
  "AvailStatusMessage",
  "RateAmountMessage",
  "Rate",
  "BaseByGuestAmt",
  "LengthOfStay",
  "Error",
  "Warning",
  "HotelReservation",
  "HotelResModify",
  "RoomStay",
  "RoomType",
  "RatePlan",
  "RoomRate",
  "ResGuest",
  "GuestCount",
  "HotelReservationID",
  "Booking",
  "PerDayRate",
  "SpecialRequest",
  "AvailRateUpdate",
  "Telephone",
  "Email",
  "Child",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

export function buildXml(root: string, body: XmlNode): string {
  return builder.build({ "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" }, [root]: body }) as string;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || "(empty)";
}

/** The document, or a ProviderError that says the answer was not XML (never a crash). */
export function parseXml(text: string, who: string, status?: number): XmlNode {
  const valid = text.trim() === "" ? { err: { msg: "empty body" } } : XMLValidator.validate(text);
  if (valid !== true) {
    throw new ProviderError({
      code: "error",
      status,
      retryable: false,
      delivery: "yes",
      message: `${who} answered with something that is not XML (${valid.err.msg}): ${excerpt(text)}`,
    });
  }
  return parser.parse(text) as XmlNode;
}

export function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A child element (the first when repeated). */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const value = node[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (isNode(first)) return first;
  if (typeof first === "string") return { "#text": first };
  return first === "" ? {} : undefined;
}

/** Child elements as a list. */
export function children(node: unknown, name: string): XmlNode[] {
  if (!isNode(node)) return [];
  const value = node[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((entry) => (isNode(entry) ? entry : { "#text": typeof entry === "string" ? entry : "" }));
}

/** Follows a path of element names. */
export function at(node: unknown, ...path: string[]): XmlNode | undefined {
  let current: unknown = node;
  for (const name of path) {
    current = child(current, name);
    if (current === undefined) return undefined;
  }
  return current as XmlNode;
}

export function attr(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const value = node[`@_${name}`];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function text(node: unknown): string | undefined {
  if (typeof node === "string") return node || undefined;
  if (!isNode(node)) return undefined;
  const value = node["#text"];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The document's root element: its name and node. */
export function rootOf(document: XmlNode): { name: string; node: XmlNode } | undefined {
  for (const [name, value] of Object.entries(document)) {
    if (name.startsWith("?") || name.startsWith("#")) continue;
    return { name, node: isNode(value) ? value : {} };
  }
  return undefined;
}

/** A failing HTTP status with the XML (or other) error text it carried, as the pipeline's classified error. */
export function httpError(response: HttpResponse, who: string, detail: string | undefined): ProviderError {
  return ProviderError.fromResponse(response, `${who} answered HTTP ${response.status}${detail ? `: ${detail}` : ""}`);
}

/** A failing HTTP status as `httpError`, with what the XML body's errors say (read by the format's `errorsOf`) when the body parses. */
export function xmlHttpError(response: HttpResponse, who: string, errorsOf: (root: XmlNode) => string | undefined): ProviderError {
  let detail: string | undefined;
  try {
    const root = rootOf(parseXml(response.body, who, response.status));
    detail = root ? errorsOf(root.node) : undefined;
  } catch {
    detail = undefined;
  }
  return httpError(response, who, detail);
}

export function rejected(who: string, detail: string, status?: number): ProviderError {
  return new ProviderError({ code: "rejected", status, retryable: false, delivery: "yes", message: `${who} refused the message: ${detail}` });
}

export function unexpected(who: string, detail: string, status?: number): ProviderError {
  return new ProviderError({ code: "error", status, retryable: false, delivery: "yes", message: `${who} answered in an unexpected shape: ${detail}` });
}

export { excerpt };
