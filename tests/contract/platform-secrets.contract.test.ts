import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { MissingPlatformSecretError, SecretsManagerPlatformSecrets } from "../../packages/core/src/adapters/aws/platform-secrets.ts";
import { ManualClock } from "../../packages/core/src/adapters/clock.ts";
import { FilePlatformSecrets } from "../../packages/core/src/adapters/local/platform-secrets.ts";
import type { PlatformSecrets } from "../../packages/core/src/port.ts";

const SECRET_ARN = "arn:aws:secretsmanager:ap-southeast-1:111122223333:secret:sambung-platform-AbCdEf";
const dir = mkdtempSync(join(tmpdir(), "sambung-secrets-"));
const mocks: ReturnType<typeof mockClient>[] = [];

function secretsManager(secretString: string | undefined) {
  const client = new SecretsManagerClient({ region: "ap-southeast-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const mock = mockClient(client);
  mocks.push(mock);
  mock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: secretString });
  return { client, mock };
}

afterAll(() => {
  for (const mock of mocks) mock.restore();
  rmSync(dir, { recursive: true, force: true });
});

/** Both adapters, each holding a `session` secret already. */
const adapters: { name: string; make(): Promise<PlatformSecrets> }[] = [
  {
    name: "FilePlatformSecrets",
    async make() {
      const secrets = new FilePlatformSecrets(join(dir, `secrets-${Math.random().toString(36).slice(2)}.json`));
      await secrets.get("session");
      return secrets;
    },
  },
  {
    name: "SecretsManagerPlatformSecrets (aws-sdk-client-mock)",
    async make() {
      const { client } = secretsManager(JSON.stringify({ session: "s3cr3t-session-key", other: "x" }));
      return new SecretsManagerPlatformSecrets(client, SECRET_ARN, new ManualClock());
    },
  },
];

describe.each(adapters)("PlatformSecrets contract: $name", (adapter) => {
  it("returns the same non-empty value for a name on every call", async () => {
    const secrets = await adapter.make();
    const first = await secrets.get("session");
    expect(first.length).toBeGreaterThan(0);
    expect(await secrets.get("session")).toBe(first);
  });
});

describe("FilePlatformSecrets specifics", () => {
  it("generates a missing secret once, keeps it in a 0600 file", async () => {
    const path = join(dir, "generated.json");
    const value = await new FilePlatformSecrets(path).get("signing");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await new FilePlatformSecrets(path).get("signing")).toBe(value);
  });
});

describe("SecretsManagerPlatformSecrets specifics", () => {
  it("caches the secret for five minutes, then reads it again", async () => {
    const { client, mock } = secretsManager(JSON.stringify({ session: "v1" }));
    const clock = new ManualClock();
    const secrets = new SecretsManagerPlatformSecrets(client, SECRET_ARN, clock);
    await Promise.all([secrets.get("session"), secrets.get("session")]);
    clock.advance(4 * 60_000);
    expect(await secrets.get("session")).toBe("v1");
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    mock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ session: "v2" }) });
    clock.advance(60_000);
    expect(await secrets.get("session")).toBe("v2");
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("names a missing secret clearly without showing any value", async () => {
    const { client } = secretsManager(JSON.stringify({ session: "do-not-print-me" }));
    const secrets = new SecretsManagerPlatformSecrets(client, SECRET_ARN, new ManualClock());
    const error = await secrets.get("webhook-signing").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingPlatformSecretError);
    expect((error as Error).message).toContain("webhook-signing");
    expect((error as Error).message).not.toContain("do-not-print-me");
  });

  it("refuses a secret that is not a JSON object of strings, without quoting it", async () => {
    for (const raw of ["not json do-not-print-me", JSON.stringify(["do-not-print-me"]), JSON.stringify({ a: 1 })]) {
      const { client } = secretsManager(raw);
      const error = await new SecretsManagerPlatformSecrets(client, SECRET_ARN, new ManualClock()).get("a").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain("do-not-print-me");
    }
  });

  it("tries again after a failed read instead of caching the failure", async () => {
    const { client, mock } = secretsManager(undefined);
    mock.on(GetSecretValueCommand).rejectsOnce(new Error("throttled")).resolves({ SecretString: JSON.stringify({ session: "ok" }) });
    const secrets = new SecretsManagerPlatformSecrets(client, SECRET_ARN, new ManualClock());
    await expect(secrets.get("session")).rejects.toThrow("throttled");
    expect(await secrets.get("session")).toBe("ok");
  });
});
