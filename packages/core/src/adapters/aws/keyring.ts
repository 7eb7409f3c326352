import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { EncryptionContext, Keyring, Sealed } from "../../port.ts";
import { aesOpen, aesSeal, canonicalContext, SealBrokenError } from "../envelope-crypto.ts";

/** KMS's answers for a wrapped key that is not this context's or not this key's: the same as a broken seal. */
const BROKEN = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);

/**
 * Envelope encryption under a KMS key: KMS makes a data key per value and wraps it
 * bound to the encryption context (so it only unwraps for the same tenant and
 * record); the data key encrypts the value with AES-256-GCM, the canonical context
 * as AAD, exactly as FileKeyring does.
 */
export class KmsKeyring implements Keyring {
  private readonly client: KMSClient;
  private readonly keyId: string;

  constructor(client: KMSClient, keyId: string) {
    this.client = client;
    this.keyId = keyId;
  }

  async currentKeyId(): Promise<string> {
    return this.keyId;
  }

  /**
   * KMS rotates the key material itself (rotation is on in the stack) and every
   * seal uses a fresh data key, so rotating here means re-sealing, not a new key.
   */
  async rotate(): Promise<string> {
    return this.keyId;
  }

  async seal(plaintext: string, context: EncryptionContext): Promise<Sealed> {
    const generated = await this.client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: "AES_256", EncryptionContext: context }),
    );
    if (!generated.Plaintext || !generated.CiphertextBlob) throw new Error("KMS GenerateDataKey returned no data key");
    const dataKey = Buffer.from(generated.Plaintext);
    try {
      const body = aesSeal(dataKey, Buffer.from(plaintext, "utf8"), canonicalContext(context));
      return {
        v: 1,
        kid: generated.KeyId ?? this.keyId,
        wrappedKey: Buffer.from(generated.CiphertextBlob).toString("base64"),
        ...body.parts(),
      };
    } finally {
      dataKey.fill(0);
      generated.Plaintext.fill(0);
    }
  }

  async open(sealed: Sealed, context: EncryptionContext): Promise<string> {
    const dataKey = await this.unwrap(sealed, context);
    try {
      return aesOpen(dataKey, { iv: sealed.iv, ciphertext: sealed.ciphertext, tag: sealed.tag }, canonicalContext(context)).toString("utf8");
    } finally {
      dataKey.fill(0);
    }
  }

  private async unwrap(sealed: Sealed, context: EncryptionContext): Promise<Buffer> {
    try {
      const { Plaintext } = await this.client.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(sealed.wrappedKey, "base64"),
          EncryptionContext: context,
          // Pinning the key makes KMS refuse a blob wrapped by some other key we may use.
          KeyId: sealed.kid,
        }),
      );
      if (!Plaintext) throw new Error("KMS Decrypt returned no data key");
      return Buffer.from(Plaintext);
    } catch (error) {
      if (error instanceof Error && BROKEN.has(error.name)) throw new SealBrokenError();
      throw error;
    }
  }

  /**
   * Seals the plaintext again under a new data key. KMS rotates its key material
   * itself and keeps old material for Decrypt, so "rotation" on AWS means moving a
   * value to a fresh data key from the current key id (also the way to move values
   * to a new key id). Unlike FileKeyring's rewrap, the ciphertext changes.
   */
  async rewrap(sealed: Sealed, context: EncryptionContext): Promise<Sealed> {
    return this.seal(await this.open(sealed, context), context);
  }
}
