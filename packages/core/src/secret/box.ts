import { z } from "zod";
import type { EncryptionContext, Ports, Sealed } from "../port.ts";
import { mask, registerSecretValue } from "./redact.ts";

/** The GSI partition of every item holding a secret box; the sort key is when it was sealed. */
export const SEALED_INDEX_PK = "SEALED";

export const SealedShape = z.object({
  v: z.literal(1),
  kid: z.string(),
  wrappedKey: z.string(),
  iv: z.string(),
  ciphertext: z.string(),
  tag: z.string(),
});

/**
 * Named secret values sealed together under one data key, bound to the record
 * they belong to. `hints` keep the masked form (••••1234) so responses never
 * need to open the box.
 */
export const SecretBox = z.object({
  sealed: SealedShape,
  context: z.record(z.string(), z.string()),
  hints: z.record(z.string(), z.string()),
  sealedAt: z.string(),
});
export type SecretBox = z.infer<typeof SecretBox>;

export async function seal(ports: Ports, values: Record<string, string>, context: EncryptionContext): Promise<SecretBox> {
  const sealed = await ports.keyring.seal(JSON.stringify(values), context);
  return {
    sealed,
    context,
    hints: Object.fromEntries(Object.entries(values).map(([name, value]) => [name, mask(value)])),
    sealedAt: new Date(ports.clock.now()).toISOString(),
  };
}

const SecretValues = z.record(z.string(), z.string());

/** Opens a box; every value is registered with the log redactor before anyone can print it. */
export async function open(ports: Ports, box: SecretBox): Promise<Record<string, string>> {
  const plaintext = await ports.keyring.open(box.sealed as Sealed, box.context);
  const values = SecretValues.parse(JSON.parse(plaintext));
  for (const value of Object.values(values)) registerSecretValue(value);
  return values;
}

/** Index attributes that let key rotation find every box sealed before a moment. */
export function sealedIndex(box: SecretBox): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: SEALED_INDEX_PK, gsi1sk: `${box.sealedAt}#${box.context.record ?? ""}` };
}
