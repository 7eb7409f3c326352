import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  type DecryptCommandInput,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandInput,
  type GenerateDataKeyCommandOutput,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KmsKeyring } from "../../packages/core/src/adapters/aws/keyring.ts";
import { aesOpen, aesSeal, canonicalContext, SealBrokenError } from "../../packages/core/src/adapters/envelope-crypto.ts";
import { FileKeyring } from "../../packages/core/src/adapters/local/keyring.ts";
import type { EncryptionContext, Keyring, Sealed } from "../../packages/core/src/port.ts";

interface Adapter {
  name: string;
  make(): Keyring;
  stop(): void;
}

function fileAdapter(): Adapter {
  let dir = "";
  let made = 0;
  return {
    name: "FileKeyring",
    make() {
      dir ||= mkdtempSync(join(tmpdir(), "sambung-keyring-"));
      return new FileKeyring(join(dir, `master-${++made}.key.json`));
    },
    stop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const KEY_ARN = "arn:aws:kms:ap-southeast-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const meta = { $metadata: {} };

/**
 * KMS as the keyring sees it: GenerateDataKey hands out a random data key and a blob
 * that is that key sealed under a master key bound to the encryption context;
 * Decrypt gives it back only for the same key and the same context.
 */
function fakeKms() {
  const master = randomBytes(32);
  const client = new KMSClient({ region: "ap-southeast-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const mock = mockClient(client);
  mock.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyCommandInput): GenerateDataKeyCommandOutput => {
    if (input.KeyId !== KEY_ARN) throw new IncorrectKeyException({ message: `no key ${input.KeyId}`, ...meta });
    if (input.KeySpec !== "AES_256") throw new Error(`unexpected KeySpec ${input.KeySpec}`);
    const plaintext = randomBytes(32);
    const blob = aesSeal(master, plaintext, canonicalContext(input.EncryptionContext ?? {})).packed();
    return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: Buffer.from(blob, "base64"), KeyId: KEY_ARN, ...meta };
  });
  mock.on(DecryptCommand).callsFake((input: DecryptCommandInput): DecryptCommandOutput => {
    if (input.KeyId !== undefined && input.KeyId !== KEY_ARN) throw new IncorrectKeyException({ message: "wrong key", ...meta });
    try {
      const plaintext = aesOpen(master, Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString("base64"), canonicalContext(input.EncryptionContext ?? {}));
      return { Plaintext: new Uint8Array(plaintext), KeyId: KEY_ARN, ...meta };
    } catch {
      throw new InvalidCiphertextException({ message: "", ...meta });
    }
  });
  return { client, mock };
}

function kmsAdapter(): Adapter {
  const fakes: ReturnType<typeof fakeKms>[] = [];
  return {
    name: "KmsKeyring (aws-sdk-client-mock)",
    make() {
      const fake = fakeKms();
      fakes.push(fake);
      return new KmsKeyring(fake.client, KEY_ARN);
    },
    stop() {
      for (const fake of fakes) fake.mock.restore();
    },
  };
}

const context: EncryptionContext = { tenantId: "tenant-1", record: "provider#midtrans-1" };
const SECRET = "sk_live_51Hx•rahasia•ünïcødé";

/** Flips one bit of a base64 field, as an attacker or a bad disk would. */
function tamper(sealed: Sealed, field: "wrappedKey" | "iv" | "ciphertext" | "tag"): Sealed {
  const bytes = Buffer.from(sealed[field], "base64");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
  return { ...sealed, [field]: bytes.toString("base64") };
}

describe.each([fileAdapter(), kmsAdapter()])("Keyring contract: $name", (adapter) => {
  let keyring: Keyring;
  beforeAll(() => {
    keyring = adapter.make();
  });
  afterAll(() => adapter.stop());

  it("opens what it sealed, under the current key, without the plaintext showing", async () => {
    const sealed = await keyring.seal(SECRET, context);
    expect(sealed).toMatchObject({ v: 1, kid: await keyring.currentKeyId() });
    for (const field of ["wrappedKey", "iv", "ciphertext", "tag"] as const) expect(sealed[field]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.stringify(sealed)).not.toContain("rahasia");
    expect(await keyring.open(sealed, context)).toBe(SECRET);
    expect(await keyring.open(await keyring.seal("", context), context)).toBe("");
  });

  it("uses a fresh data key and iv for every value", async () => {
    const [a, b] = await Promise.all([keyring.seal(SECRET, context), keyring.seal(SECRET, context)]);
    expect(a?.wrappedKey).not.toBe(b?.wrappedKey);
    expect(a?.iv).not.toBe(b?.iv);
    expect(a?.ciphertext).not.toBe(b?.ciphertext);
  });

  it("binds the context by content, not by key order", async () => {
    const sealed = await keyring.seal(SECRET, { a: "1", b: "2" });
    expect(await keyring.open(sealed, { b: "2", a: "1" })).toBe(SECRET);
  });

  it("refuses to open under any other context", async () => {
    const sealed = await keyring.seal(SECRET, context);
    const others: EncryptionContext[] = [
      { ...context, tenantId: "tenant-2" },
      { ...context, extra: "x" },
      { tenantId: "tenant-1" },
      {},
    ];
    for (const other of others) await expect(keyring.open(sealed, other)).rejects.toBeInstanceOf(SealBrokenError);
  });

  it("refuses a tampered value, whichever part was changed", async () => {
    const sealed = await keyring.seal(SECRET, context);
    for (const field of ["wrappedKey", "iv", "ciphertext", "tag"] as const) {
      await expect(keyring.open(tamper(sealed, field), context)).rejects.toBeInstanceOf(SealBrokenError);
    }
    const other = await keyring.seal("another secret", context);
    await expect(keyring.open({ ...sealed, wrappedKey: other.wrappedKey }, context)).rejects.toBeInstanceOf(SealBrokenError);
  });

  it("rewraps to the current key and the value still opens", async () => {
    const sealed = await keyring.seal(SECRET, context);
    const rewrapped = await keyring.rewrap(sealed, context);
    expect(rewrapped.kid).toBe(await keyring.currentKeyId());
    expect(await keyring.open(rewrapped, context)).toBe(SECRET);
    expect(await keyring.open(sealed, context)).toBe(SECRET);
  });
});

describe("FileKeyring specifics", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sambung-keyring-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("creates its key file with mode 0600 and keeps it so after rotation", async () => {
    const path = join(dir, "fresh", "master.key.json");
    const keyring = new FileKeyring(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await keyring.rotate();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("moves values to the new key with rotate() + rewrap, old values staying readable", async () => {
    const path = join(dir, "rotate.key.json");
    const keyring = new FileKeyring(path);
    const oldKid = await keyring.currentKeyId();
    const sealed = await keyring.seal(SECRET, context);
    const newKid = await keyring.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(await keyring.currentKeyId()).toBe(newKid);
    expect(await keyring.open(sealed, context)).toBe(SECRET);
    const rewrapped = await keyring.rewrap(sealed, context);
    expect(rewrapped.kid).toBe(newKid);
    expect(rewrapped.wrappedKey).not.toBe(sealed.wrappedKey);
    expect(await keyring.open(rewrapped, context)).toBe(SECRET);
    await expect(keyring.rewrap(sealed, { ...context, tenantId: "tenant-2" })).rejects.toBeInstanceOf(SealBrokenError);
    expect((await keyring.seal(SECRET, context)).kid).toBe(newKid);
    const reopened = new FileKeyring(path);
    expect(await reopened.currentKeyId()).toBe(newKid);
    expect(await reopened.open(sealed, context)).toBe(SECRET);
    expect(await reopened.open(rewrapped, context)).toBe(SECRET);
  });
});

describe("KmsKeyring specifics", () => {
  const fake = fakeKms();
  const keyring = new KmsKeyring(fake.client, KEY_ARN);
  afterAll(() => fake.mock.restore());

  it("asks KMS for an AES-256 data key bound to the context, and unwraps with the same context and key", async () => {
    const sealed = await keyring.seal(SECRET, context);
    expect(fake.mock.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({ KeyId: KEY_ARN, KeySpec: "AES_256", EncryptionContext: context });
    expect(sealed.kid).toBe(KEY_ARN);
    await keyring.open(sealed, context);
    const decrypt = fake.mock.commandCalls(DecryptCommand)[0]?.args[0].input;
    expect(decrypt?.EncryptionContext).toEqual(context);
    expect(decrypt?.KeyId).toBe(KEY_ARN);
    expect(Buffer.from(decrypt?.CiphertextBlob ?? new Uint8Array()).toString("base64")).toBe(sealed.wrappedKey);
  });

  it("rewraps under a new data key, so the whole value changes", async () => {
    const sealed = await keyring.seal(SECRET, context);
    const rewrapped = await keyring.rewrap(sealed, context);
    expect(rewrapped.wrappedKey).not.toBe(sealed.wrappedKey);
    expect(rewrapped.ciphertext).not.toBe(sealed.ciphertext);
    expect(await keyring.open(rewrapped, context)).toBe(SECRET);
    await expect(keyring.rewrap(sealed, { ...context, tenantId: "tenant-2" })).rejects.toBeInstanceOf(SealBrokenError);
  });

  it("passes on KMS errors that are not about the value", async () => {
    const denied = fakeKms();
    denied.mock.on(DecryptCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException" }));
    const sealed = await new KmsKeyring(denied.client, KEY_ARN).seal(SECRET, context);
    await expect(new KmsKeyring(denied.client, KEY_ARN).open(sealed, context)).rejects.toThrow("not allowed");
    denied.mock.restore();
  });
});
