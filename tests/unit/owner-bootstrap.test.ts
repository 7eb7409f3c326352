import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsManagerPlatformSecrets } from "@sambung/core/adapters/aws/platform-secrets";
import { ManualClock } from "@sambung/core/adapters/clock";
import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { login, OWNER_EMAIL_SECRET, OWNER_PASSWORD_SECRET } from "@sambung/functions/http/auth";
import { usePorts } from "@sambung/functions/ports";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/runtime.ts";

/**
 * The first owner on AWS comes from the platform secret (Secrets Manager, here
 * the real adapter over aws-sdk-client-mock), never from the function's
 * environment, and is created by the first sign-in.
 */
const SECRET_ARN = "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:test-sambung-PlatformSecret-AbCdEf";
const OWNER = { email: "owner@example.com", password: "a long passphrase for the owner" };
const dirs: ReturnType<typeof tempDir>[] = [];
const mocks: ReturnType<typeof mockClient>[] = [];
afterAll(() => {
  for (const mock of mocks) mock.restore();
  for (const dir of dirs) dir.remove();
});

const context = {} as Context;
function signIn(body: unknown): Promise<{ statusCode?: number; body?: string }> {
  const event = {
    version: "2.0",
    routeKey: "POST /api/auth/login",
    rawPath: "/api/auth/login",
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: "req-1", http: { method: "POST", path: "/api/auth/login", sourceIp: "127.0.0.1" } },
  } as unknown as APIGatewayProxyEventV2;
  return login(event, context) as Promise<{ statusCode?: number; body?: string }>;
}

/** Ports as on AWS: the store on a fresh directory, the platform secret in (mocked) Secrets Manager. */
function awsPorts(secret: Record<string, string>) {
  const dir = tempDir();
  dirs.push(dir);
  const clock = new ManualClock(Date.now());
  const client = new SecretsManagerClient({ region: "ap-southeast-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const mock = mockClient(client);
  mocks.push(mock);
  mock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify(secret) });
  const ports = { ...createLocalPorts(dir.path, clock, { runtime: "aws" }), secrets: new SecretsManagerPlatformSecrets(client, SECRET_ARN, clock) };
  usePorts(ports);
  const replace = (next: Record<string, string>) => {
    mock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: JSON.stringify(next) });
    // Past the adapter's five-minute cache.
    clock.advance(5 * 60_000 + 1);
  };
  return Object.assign(ports, { replace });
}

const signingKey = { "session-signing-key": "k".repeat(64) };

describe("the first owner on AWS", () => {
  it("is not created from the function's environment", async () => {
    process.env.SAMBUNG_OWNER_EMAIL = OWNER.email;
    process.env.SAMBUNG_OWNER_PASSWORD = OWNER.password;
    try {
      awsPorts(signingKey);
      expect((await signIn(OWNER)).statusCode).toBe(401);
    } finally {
      delete process.env.SAMBUNG_OWNER_EMAIL;
      delete process.env.SAMBUNG_OWNER_PASSWORD;
    }
  });

  it("is created by the first sign-in from the platform secret's owner fields, once", async () => {
    const ports = awsPorts({ ...signingKey, [OWNER_EMAIL_SECRET]: OWNER.email, [OWNER_PASSWORD_SECRET]: OWNER.password });
    const [first, second] = await Promise.all([signIn(OWNER), signIn(OWNER)]);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(first.body ?? "{}")).toMatchObject({ user: { email: OWNER.email, role: "owner" } });
    const tenants = await ports.store.query("TENANTS", { index: "gsi1" });
    expect(tenants.items).toHaveLength(1);
    expect((await signIn({ ...OWNER, password: "not the password at all" })).statusCode).toBe(401);
  });

  it("is not created from a password the hub refuses; sign-in says nothing of it and the next one retries", async () => {
    const ports = awsPorts({ ...signingKey, [OWNER_EMAIL_SECRET]: OWNER.email, [OWNER_PASSWORD_SECRET]: "short" });
    const refused = await signIn({ ...OWNER, password: "short" });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).not.toContain("short");
    expect((await ports.store.query("TENANTS", { index: "gsi1" })).items).toHaveLength(0);
    ports.replace({ ...signingKey, [OWNER_EMAIL_SECRET]: OWNER.email, [OWNER_PASSWORD_SECRET]: OWNER.password });
    expect((await signIn(OWNER)).statusCode).toBe(200);
  });
});

describe("the first owner locally", () => {
  it("is the local runtime's to create at start: sign-in invents no owner secret", async () => {
    const dir = tempDir();
    dirs.push(dir);
    usePorts(createLocalPorts(dir.path));
    expect((await signIn(OWNER)).statusCode).toBe(401);
    const file = join(dir.path, "platform-secrets.json");
    const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
    expect(Object.keys(stored)).not.toContain(OWNER_PASSWORD_SECRET);
  });
});
