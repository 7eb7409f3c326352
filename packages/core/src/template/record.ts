import { z } from "zod";

/** Where a message goes: each channel has its own template per name and locale. */
export const Channel = z.enum(["sms", "whatsapp", "email"]);
export type Channel = z.infer<typeof Channel>;

export const Locale = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, "a language code such as id, en or en-GB");

export const TemplateName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, "lower-case letters, digits, _ . - (up to 100), like booking_confirmation");

export const ParamName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "a letter, then letters, digits or _ (up to 64)");

/** How a value is checked and shown: numbers and dates are formatted for the template's locale. */
export const ParamType = z.enum(["string", "number", "date", "datetime", "url", "email", "phone"]);
export type ParamType = z.infer<typeof ParamType>;

export const ParamSpec = z.object({
  name: ParamName,
  type: ParamType.default("string"),
  required: z.boolean().default(true),
  maxLength: z.number().int().min(1).max(5000).optional(),
  description: z.string().max(300).optional(),
});
export type ParamSpec = z.infer<typeof ParamSpec>;

/**
 * A WhatsApp template approved by Meta (or the BSP): its name and language there,
 * and which of our parameters fill its positional {{1}}, {{2}}, ... in the body
 * (and the one of a text header), in order.
 */
export const WhatsAppMapping = z.object({
  name: z.string().regex(/^[A-Za-z0-9_]{1,512}$/, "the approved template's name (Meta: lower-case letters, digits and _; Twilio: its HX… Content SID)"),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, "the approved template's language code, such as id or en_US"),
  body: z.array(ParamName).max(100).default([]),
  header: z.array(ParamName).max(1).default([]),
});
export type WhatsAppMapping = z.infer<typeof WhatsAppMapping>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The parameter names a template text refers to. */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? "");
}

const Fields = {
  description: z.string().max(500).optional(),
  params: z.array(ParamSpec).max(50).default([]),
  /** E-mail subject line (e-mail only). */
  subject: z.string().trim().min(1).max(500).optional(),
  /** The SMS, the WhatsApp session text (and preview of a mapped template), the e-mail's plain-text part. */
  text: z.string().min(1).max(10_000),
  /** The e-mail's HTML part; parameter values are HTML-escaped into it. */
  html: z.string().max(200_000).optional(),
  whatsapp: WhatsAppMapping.optional(),
};

type Shape = { channel: Channel; params: ParamSpec[]; subject?: string; text: string; html?: string; whatsapp?: WhatsAppMapping };

/** The rules a template must keep whatever the request: declared params only, fields that fit the channel. */
export function checkTemplate(template: Shape, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  template.params.forEach((param, index) => {
    if (names.has(param.name)) ctx.addIssue({ code: "custom", path: ["params", index, "name"], message: `${param.name} is declared twice` });
    names.add(param.name);
  });
  const declared = [...names].join(", ") || "none";
  for (const field of ["subject", "text", "html"] as const) {
    for (const name of placeholders(template[field])) {
      if (!names.has(name)) ctx.addIssue({ code: "custom", path: [field], message: `{{${name}}} is not a declared parameter (declared: ${declared})` });
    }
  }
  if (template.channel === "email" && !template.subject) ctx.addIssue({ code: "custom", path: ["subject"], message: "an e-mail template needs a subject" });
  if (template.channel !== "email") {
    if (template.subject) ctx.addIssue({ code: "custom", path: ["subject"], message: `only e-mail templates have a subject, not ${template.channel}` });
    if (template.html) ctx.addIssue({ code: "custom", path: ["html"], message: `only e-mail templates have an HTML part, not ${template.channel}` });
  }
  if (template.whatsapp) {
    if (template.channel !== "whatsapp") ctx.addIssue({ code: "custom", path: ["whatsapp"], message: "only WhatsApp templates map to an approved template" });
    for (const part of ["body", "header"] as const) {
      template.whatsapp[part].forEach((name, index) => {
        if (!names.has(name)) ctx.addIssue({ code: "custom", path: ["whatsapp", part, index], message: `${name} is not a declared parameter (declared: ${declared})` });
      });
    }
  }
}

export const CreateTemplate = z
  .object({ name: TemplateName, channel: Channel, locale: Locale, ...Fields })
  .superRefine((template, ctx) => checkTemplate(template, ctx));
export type CreateTemplate = z.input<typeof CreateTemplate>;

/** Name, channel and locale identify a template and do not change; everything else may. */
export const UpdateTemplate = z
  .object({
    description: z.string().max(500).nullable(),
    params: z.array(ParamSpec).max(50),
    subject: z.string().trim().min(1).max(500).nullable(),
    text: z.string().min(1).max(10_000),
    html: z.string().max(200_000).nullable(),
    whatsapp: WhatsAppMapping.nullable(),
  })
  .partial()
  .strict();
export type UpdateTemplate = z.input<typeof UpdateTemplate>;

export const Template = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: TemplateName,
  channel: Channel,
  locale: Locale,
  ...Fields,
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type Template = z.infer<typeof Template>;
