import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { PlatformSecrets } from "../../port.ts";

const SecretsFile = z.record(z.string(), z.string());

/** Platform secrets in a 0600 file in the data directory; a missing one is generated once. */
export class FilePlatformSecrets implements PlatformSecrets {
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  private read(): Record<string, string> {
    return existsSync(this.path) ? SecretsFile.parse(JSON.parse(readFileSync(this.path, "utf8"))) : {};
  }

  private readonly cache = new Map<string, string>();

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const secrets = this.read();
    const found = secrets[name];
    if (found) {
      this.cache.set(name, found);
      return found;
    }
    const created = randomBytes(32).toString("base64url");
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, JSON.stringify({ ...secrets, [name]: created }, null, 2), { mode: 0o600 });
    renameSync(temp, this.path);
    this.cache.set(name, created);
    return created;
  }
}
