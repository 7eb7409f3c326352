import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { nodeBin, repoRoot, tempDir } from "../support/runtime.ts";

export interface Served {
  url: string;
  stop: () => Promise<void>;
}

async function listen(child: ChildProcess, pattern: RegExp): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = pattern.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${output}`)));
  });
}

function stopper(child: ChildProcess, cleanup = () => {}): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      child.once("exit", () => {
        cleanup();
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/** The baseline: a bare node:http server that reads the body and answers 200, in its own process. */
export async function startBareServer(): Promise<Served> {
  const source = `
    const http = require("node:http");
    const server = http.createServer((req, res) => {
      req.on("data", () => {});
      req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end('{"ok":true}'); });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, "127.0.0.1", () => console.log("listening on http://127.0.0.1:" + server.address().port));
    process.on("SIGTERM", () => server.close(() => process.exit(0)));
  `;
  const child = spawn(nodeBin, ["-e", source], { stdio: ["ignore", "pipe", "pipe"] });
  return { url: await listen(child, /listening on (http:\/\/\S+)/), stop: stopper(child) };
}

/** `npm start`'s entry point on a fresh data directory, in its own process. */
export async function startHub(env: Record<string, string> = {}): Promise<Served & { dataDir: string }> {
  const dir = tempDir("sambung-bench-");
  const child = spawn(nodeBin, [join(repoRoot, "packages/functions/src/local/main.ts")], {
    cwd: repoRoot,
    env: { ...process.env, PORT: "0", SAMBUNG_DATA_DIR: dir.path, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return {
    url: await listen(child, /listening on (http:\/\/\S+)/),
    dataDir: dir.path,
    stop: stopper(child, dir.remove),
  };
}
