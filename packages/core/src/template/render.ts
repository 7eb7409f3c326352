import { z } from "zod";
import { InvalidInputError } from "../error.ts";
import type { ParamSpec, ParamType, Template } from "./record.ts";

/**
 * Typed parameters and safe rendering. A template's params become a strict zod
 * object, so a missing, mistyped or unknown parameter is a 400 naming it.
 * Placeholders are plain lookups (`{{guestName}}`): no expressions, no code. In
 * the HTML part every value is HTML-escaped; the text part and SMS get the value
 * as written; numbers and dates are formatted for the template's locale.
 */

const TYPE_WORDS: Record<ParamType, string> = {
  string: "text",
  number: "a number",
  date: "a date like 2025-06-01",
  datetime: "a date and time like 2025-06-01T14:00:00+07:00",
  url: "an http(s) URL",
  email: "an e-mail address",
  phone: "a phone number",
};

/** Built once per kind and length: a zod schema compiles itself on first use, too dear for every parameter of every message. */
const valueSchemas = new Map<string, z.ZodType<string | number>>();

function valueSchema(param: ParamSpec): z.ZodType<string | number> {
  const key = `${param.type}:${param.maxLength ?? 1000}`;
  let schema = valueSchemas.get(key);
  if (!schema) {
    schema = buildValueSchema(param);
    valueSchemas.set(key, schema);
  }
  return schema;
}

function buildValueSchema(param: ParamSpec): z.ZodType<string | number> {
  const max = param.maxLength ?? 1000;
  switch (param.type) {
    case "number":
      return z.union([z.number().finite(), z.string().trim().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
    case "date":
      return z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
    case "datetime":
      return z.iso.datetime({ offset: true });
    case "url":
      return z.url({ protocol: /^https?$/ }).max(2000);
    case "email":
      return z.email().max(320);
    case "phone":
      return z.string().trim().regex(/^\+?[\d\s().-]{6,24}$/);
    default:
      // Numbers are welcome where text is expected (a room number from an event).
      return z.union([z.string(), z.number().finite().transform(String)]).pipe(z.string().max(max));
  }
}

function describeTemplate(template: Pick<Template, "name" | "channel" | "locale">): string {
  return `template ${template.name} (${template.channel}, ${template.locale})`;
}

/** The zod schema of a template's params: strict, so extra keys are refused too. */
export function paramsSchema(template: Pick<Template, "name" | "channel" | "locale" | "params">) {
  const takes = template.params.map((param) => `${param.name} (${TYPE_WORDS[param.type]}${param.required ? "" : ", optional"})`).join(", ") || "no parameters";
  const shape: Record<string, z.ZodType> = {};
  for (const param of template.params) {
    const schema = valueSchema(param);
    const word = TYPE_WORDS[param.type];
    const typed = z.unknown().transform((value, ctx) => {
      if (value === undefined || value === null || value === "") {
        if (param.required) ctx.addIssue({ code: "custom", message: `missing: ${describeTemplate(template)} needs ${param.name} (${word})` });
        return z.NEVER;
      }
      const result = schema.safeParse(value);
      if (!result.success) {
        ctx.addIssue({ code: "custom", message: `expected ${word}${param.type === "string" ? ` of at most ${param.maxLength ?? 1000} characters` : ""}` });
        return z.NEVER;
      }
      return result.data;
    });
    shape[param.name] = param.required ? typed : typed.optional();
  }
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `not a parameter of ${describeTemplate(template)}; it takes ${takes}` : undefined),
  });
}

export type Params = Record<string, string | number>;

/** Checks params against the template; a 400 that names every bad parameter. */
export function validateParams(template: Pick<Template, "name" | "channel" | "locale" | "params">, params: unknown): Params {
  const result = paramsSchema(template).safeParse(params ?? {});
  if (result.success) {
    return Object.fromEntries(Object.entries(result.data).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
  }
  const issues = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: `params.${key}`, message: issue.message }));
    return [{ path: ["params", ...issue.path.map(String)].join("."), message: issue.message }];
  });
  throw new InvalidInputError(`fix these params: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")}`, { issues });
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

export interface FormatOptions {
  locale: string;
  /** IANA zone for datetime values: the location's, else the tenant's. */
  timeZone: string;
}

/** A value as the reader should see it: numbers grouped, dates spelled out, for the locale. */
export function formatValue(param: ParamSpec | undefined, value: string | number, options: FormatOptions): string {
  try {
    if (param?.type === "number" && typeof value === "number") return new Intl.NumberFormat(options.locale).format(value);
    if (param?.type === "date" && typeof value === "string") {
      const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
      const at = new Date(dateOnly ? `${value}T00:00:00Z` : value);
      return new Intl.DateTimeFormat(options.locale, { dateStyle: "long", timeZone: dateOnly ? "UTC" : options.timeZone }).format(at);
    }
    if (param?.type === "datetime" && typeof value === "string") {
      return new Intl.DateTimeFormat(options.locale, { dateStyle: "long", timeStyle: "short", timeZone: options.timeZone }).format(new Date(value));
    }
  } catch {
    // an unknown locale or zone: show the value as given
  }
  return String(value);
}

/** Fills `{{name}}` placeholders; `escape` is applied to each value (HTML for the e-mail's HTML part). */
export function fill(text: string, values: Record<string, string>, escape: (value: string) => string = (value) => value): string {
  return text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (_match, name: string) => escape(values[name] ?? ""));
}

/** What a template becomes for one message. */
export interface Rendered {
  channel: Template["channel"];
  subject?: string;
  text: string;
  html?: string;
  /** The approved WhatsApp template and its ordered parameter values. */
  whatsapp?: { name: string; language: string; body: { name: string; value: string }[]; header: { name: string; value: string }[] };
}

/** Renders a template with validated params. */
export function render(template: Template, params: Params, options: Omit<FormatOptions, "locale">): Rendered {
  const specs = new Map(template.params.map((param) => [param.name, param]));
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) values[name] = formatValue(specs.get(name), value, { locale: template.locale, ...options });
  // A header line must stay one line, whatever a value holds.
  const subject = template.subject === undefined ? undefined : fill(template.subject, values).replace(/[\r\n]+/g, " ").trim();
  const pick = (names: string[]) => names.map((name) => ({ name, value: values[name] ?? "" }));
  return {
    channel: template.channel,
    ...(subject !== undefined ? { subject } : {}),
    text: fill(template.text, values),
    ...(template.html !== undefined ? { html: fill(template.html, values, escapeHtml) } : {}),
    ...(template.whatsapp
      ? { whatsapp: { name: template.whatsapp.name, language: template.whatsapp.language, body: pick(template.whatsapp.body), header: pick(template.whatsapp.header) } }
      : {}),
  };
}
