import { z } from "zod";
import { FormatId } from "../format/catalog.ts";
import { SecretBox } from "../secret/box.ts";
import { ProviderType, Slug } from "./types.ts";

const Headers = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "header names are letters, digits and dashes"), z.string().max(4096));

export const TestStatus = z.enum(["never", "ok", "failed"]);

export const LastTest = z.object({
  status: TestStatus,
  at: z.string().optional(),
  message: z.string().optional(),
  latencyMs: z.number().optional(),
});
export type LastTest = z.infer<typeof LastTest>;

/** The provider record as stored. `secretBox` is sealed; nothing else is secret. */
export const Provider = z.object({
  id: z.string(),
  tenantId: z.string(),
  locationId: z.string().optional(),
  type: ProviderType,
  name: z.string().min(1).max(120),
  slug: Slug,
  apiFormat: FormatId,
  baseUrl: z.url(),
  sandboxBaseUrl: z.url().optional(),
  testMode: z.boolean(),
  secretBox: SecretBox.optional(),
  headers: Headers,
  config: z.record(z.string(), z.unknown()),
  capabilities: z.array(z.string()),
  active: z.boolean(),
  isDefault: z.boolean(),
  displayOrder: z.number().int(),
  lastTest: LastTest,
  notes: z.string().max(2000).optional(),
  presetId: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type Provider = z.infer<typeof Provider>;

/** What the API returns: secrets only as masked hints, and what the owner should look at (provider/warnings.ts). */
export type ProviderView = Omit<Provider, "secretBox"> & { secrets: Record<string, string>; webhookUrl: string; warnings: string[] };

const Secrets = z.record(z.string().min(1).max(64), z.string().min(1, "a secret cannot be empty; leave it out to keep the stored one").max(8192));

export const CreateProvider = z.object({
  type: ProviderType,
  name: z.string().trim().min(1).max(120),
  slug: Slug.optional(),
  /** Required unless a preset gives it. */
  apiFormat: FormatId.optional(),
  baseUrl: z.url().optional(),
  sandboxBaseUrl: z.url().optional(),
  testMode: z.boolean().default(true),
  secrets: Secrets.default({}),
  headers: Headers.default({}),
  config: z.record(z.string(), z.unknown()).default({}),
  capabilities: z.array(z.string().min(1)).default([]),
  active: z.boolean().default(true),
  isDefault: z.boolean().default(false),
  displayOrder: z.number().int().default(0),
  notes: z.string().max(2000).optional(),
  locationId: z.string().optional(),
  presetId: z.string().optional(),
});
export type CreateProvider = z.input<typeof CreateProvider>;

export const UpdateProvider = z
  .object({
    name: z.string().trim().min(1).max(120),
    baseUrl: z.url(),
    sandboxBaseUrl: z.url().nullable(),
    testMode: z.boolean(),
    /** Only the secrets given change; a secret left out keeps its stored value. */
    secrets: Secrets,
    headers: Headers,
    config: z.record(z.string(), z.unknown()),
    capabilities: z.array(z.string().min(1)),
    active: z.boolean(),
    isDefault: z.boolean(),
    displayOrder: z.number().int(),
    notes: z.string().max(2000).nullable(),
  })
  .partial()
  .strict();
export type UpdateProvider = z.input<typeof UpdateProvider>;
