import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionContext } from "../port.ts";

/** Encryption context as AAD: sorted keys, so the same context always binds the same bytes. */
export function canonicalContext(context: EncryptionContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify(sorted), "utf8");
}

export interface AesParts {
  iv: string;
  ciphertext: string;
  tag: string;
}

export function aesSeal(key: Buffer, plaintext: Buffer, aad: Buffer) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return {
    parts: (): AesParts => ({
      iv: iv.toString("base64"),
      ciphertext: ciphertext.toString("base64"),
      tag: tag.toString("base64"),
    }),
    /** iv | tag | ciphertext in one base64 string, for wrapped data keys. */
    packed: (): string => Buffer.concat([iv, tag, ciphertext]).toString("base64"),
  };
}

export function aesOpen(key: Buffer, sealed: AesParts | string, aad: Buffer): Buffer {
  const parts =
    typeof sealed === "string"
      ? (() => {
          const raw = Buffer.from(sealed, "base64");
          return { iv: raw.subarray(0, 12), tag: raw.subarray(12, 28), ciphertext: raw.subarray(28) };
        })()
      : {
          iv: Buffer.from(sealed.iv, "base64"),
          tag: Buffer.from(sealed.tag, "base64"),
          ciphertext: Buffer.from(sealed.ciphertext, "base64"),
        };
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, parts.iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    throw new SealBrokenError();
  }
}

/** Wrong key, wrong encryption context, or tampered bytes: GCM cannot tell which, and neither do we. */
export class SealBrokenError extends Error {
  constructor() {
    super("a sealed value could not be opened: wrong key or context, or it was altered");
    this.name = "SealBrokenError";
  }
}

export class UnknownKeyError extends Error {
  readonly kid: string;

  constructor(kid: string) {
    super(`master key ${kid} is not in the keyring`);
    this.kid = kid;
    this.name = "UnknownKeyError";
  }
}
