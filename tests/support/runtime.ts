import { ManualClock } from "@sambung/core/adapters/clock";
import { startRuntime, type Runtime, type RuntimeOptions } from "@sambung/functions/local/runtime";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const nodeBin = join(repoRoot, "node_modules/.bin/node");

export function tempDir(prefix = "sambung-test-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const OWNER = { email: "owner@example.com", password: "correct horse battery" };

export interface TestRuntime extends Runtime {
  clock: ManualClock;
  /** In-process, so a test can tick and drive them. */
  cron: NonNullable<Runtime["cron"]>;
  pollers: NonNullable<Runtime["pollers"]>;
  dataDir: string;
  /** The first owner's session token (owner of the first tenant, and superadmin). */
  token: string;
  /** Calls the API as the owner unless `headers.authorization` says otherwise ("" for none). */
  api<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/** The local runtime in this process, on a random port, with a clock the test moves. */
export async function startTestRuntime(options: Partial<RuntimeOptions> = {}): Promise<TestRuntime> {
  const dir = tempDir();
  const clock = new ManualClock(Date.now());
  const runtime = await startRuntime({ dataDir: dir.path, port: 0, clock, owner: OWNER, ...options });
  const { cron, pollers } = runtime;
  if (!cron || !pollers) throw new Error("a test runtime keeps its background work in this thread");
  const token = await signIn(runtime.url);
  return {
    ...runtime,
    cron,
    pollers,
    clock,
    dataDir: dir.path,
    token,
    api: (method, path, body, headers = {}) => call(runtime.url, method, path, body, withAuth(token, headers)),
    close: async () => {
      await runtime.stop();
      dir.remove();
    },
  };
}

function withAuth(token: string, headers: Record<string, string>): Record<string, string> {
  if (headers.authorization === "") {
    const { authorization: _none, ...rest } = headers;
    return rest;
  }
  return { authorization: `Bearer ${token}`, ...headers };
}

export async function signIn(base: string, credentials = OWNER): Promise<string> {
  const { status, body } = await call<{ token: string }>(base, "POST", "/api/auth/login", credentials);
  if (status !== 200) throw new Error(`sign-in failed with ${status}: ${JSON.stringify(body)}`);
  return body.token;
}

export async function call<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: leave the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export interface ChildRuntime {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start`'s entry point in a child process, for tests that kill it. */
export async function spawnRuntime(dataDir: string, env: Record<string, string> = {}): Promise<ChildRuntime> {
  const child = spawn(nodeBin, [join(repoRoot, "packages/functions/src/local/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: "0",
      SAMBUNG_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      SAMBUNG_OWNER_EMAIL: OWNER.email,
      SAMBUNG_OWNER_PASSWORD: OWNER.password,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start:\n${output}`)), 20_000);
    const look = () => {
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on("data", look);
    child.on("exit", () => reject(new Error(`runtime exited before listening:\n${output}`)));
  });
  return { url, process: child, output: () => output, exited };
}
