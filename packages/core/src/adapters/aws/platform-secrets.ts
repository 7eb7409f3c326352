import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import type { Clock, PlatformSecrets } from "../../port.ts";

const CACHE_MS = 5 * 60_000;
const SecretValues = z.record(z.string(), z.string());

export class MissingPlatformSecretError extends Error {
  readonly secretName: string;

  constructor(name: string, secretId: string) {
    super(`platform secret "${name}" is not a key of the JSON in ${secretId}; add it there`);
    this.secretName = name;
    this.name = "MissingPlatformSecretError";
  }
}

/**
 * Platform secrets as named values in one Secrets Manager secret (a JSON object).
 * Cached for five minutes per warm Lambda, so a rotated value is picked up without
 * a deploy and without a Secrets Manager call per request.
 */
export class SecretsManagerPlatformSecrets implements PlatformSecrets {
  private readonly client: SecretsManagerClient;
  private readonly secretId: string;
  private readonly clock: Clock;
  private cached: { at: number; values: Promise<Record<string, string>> } | undefined;

  constructor(client: SecretsManagerClient, secretId: string, clock: Clock) {
    this.client = client;
    this.secretId = secretId;
    this.clock = clock;
  }

  async get(name: string): Promise<string> {
    const values = await this.values();
    const value = values[name];
    if (value === undefined) throw new MissingPlatformSecretError(name, this.secretId);
    return value;
  }

  private values(): Promise<Record<string, string>> {
    const now = this.clock.now();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.values;
    // The promise is cached, so concurrent first calls share one request.
    const values = this.fetch();
    this.cached = { at: now, values };
    values.catch(() => {
      if (this.cached?.values === values) this.cached = undefined;
    });
    return values;
  }

  private async fetch(): Promise<Record<string, string>> {
    const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (SecretString === undefined) throw new Error(`${this.secretId} has no SecretString; store the platform secrets as a JSON object`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString);
    } catch {
      // The parser's message can quote the secret's text; never pass it on.
      throw new Error(`${this.secretId} is not JSON; store the platform secrets as a JSON object of strings`);
    }
    const values = SecretValues.safeParse(parsed);
    if (!values.success) throw new Error(`${this.secretId} must be a JSON object of string values`);
    return values.data;
  }
}
