import { z } from "zod";

export const ProviderType = z.enum([
  "payment",
  "ota",
  "sms",
  "whatsapp",
  "mail",
  "storage",
  "captcha",
  "ai",
  "door_lock",
  "rate_shopper",
  "marketplace",
  "accounting_export",
  "other",
]);
export type ProviderType = z.infer<typeof ProviderType>;

/** Lower-case letters, digits and dashes: safe in a webhook URL path. */
export const Slug = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "use lower-case letters, digits and single dashes, like midtrans-snap");
