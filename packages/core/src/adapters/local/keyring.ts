import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import type { EncryptionContext, Keyring, Sealed } from "../../port.ts";
import { aesOpen, aesSeal, canonicalContext, UnknownKeyError } from "../envelope-crypto.ts";

const KeyFile = z.object({
  current: z.string(),
  keys: z.record(z.string(), z.string()),
});
type KeyFile = z.infer<typeof KeyFile>;

/**
 * AES-256-GCM envelope encryption under master keys kept in a file in the data
 * directory (mode 0600), created on first start. Rotation adds a key and makes it
 * current; old keys stay so every sealed value remains readable while re-wrapping.
 */
export class FileKeyring implements Keyring {
  private file: KeyFile;

  private readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.file = existsSync(path) ? KeyFile.parse(JSON.parse(readFileSync(path, "utf8"))) : this.create();
  }

  private create(): KeyFile {
    const file = { current: "", keys: {} };
    this.addKey(file);
    return file;
  }

  private addKey(file: KeyFile): string {
    const kid = `local-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
    file.keys[kid] = randomBytes(32).toString("base64");
    file.current = kid;
    this.write(file);
    return kid;
  }

  private write(file: KeyFile): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify(file, null, 2), { mode: 0o600 });
    renameSync(temp, this.path);
  }

  private key(kid: string): Buffer {
    const encoded = this.file.keys[kid];
    if (!encoded) throw new UnknownKeyError(kid);
    return Buffer.from(encoded, "base64");
  }

  async currentKeyId(): Promise<string> {
    return this.file.current;
  }

  async seal(plaintext: string, context: EncryptionContext): Promise<Sealed> {
    const aad = canonicalContext(context);
    const dataKey = randomBytes(32);
    const body = aesSeal(dataKey, Buffer.from(plaintext, "utf8"), aad);
    const wrapped = aesSeal(this.key(this.file.current), dataKey, aad);
    return { v: 1, kid: this.file.current, wrappedKey: wrapped.packed(), ...body.parts() };
  }

  private unwrap(sealed: Sealed, aad: Buffer): Buffer {
    return aesOpen(this.key(sealed.kid), sealed.wrappedKey, aad);
  }

  async open(sealed: Sealed, context: EncryptionContext): Promise<string> {
    const aad = canonicalContext(context);
    const dataKey = this.unwrap(sealed, aad);
    return aesOpen(dataKey, { iv: sealed.iv, ciphertext: sealed.ciphertext, tag: sealed.tag }, aad).toString("utf8");
  }

  async rewrap(sealed: Sealed, context: EncryptionContext): Promise<Sealed> {
    if (sealed.kid === this.file.current) return sealed;
    const aad = canonicalContext(context);
    const dataKey = this.unwrap(sealed, aad);
    return { ...sealed, kid: this.file.current, wrappedKey: aesSeal(this.key(this.file.current), dataKey, aad).packed() };
  }

  /** Adds a new master key and makes it current; returns its id. */
  async rotate(): Promise<string> {
    return this.addKey(this.file);
  }
}
