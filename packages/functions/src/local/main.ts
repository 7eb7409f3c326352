import { logger } from "../log.ts";
import { version } from "../version.ts";
import { readConfig } from "./config.ts";
import { startRuntime } from "./runtime.ts";

/** `npm start`: the hub on its embedded default, until SIGINT / SIGTERM. */
async function main(): Promise<void> {
  const config = readConfig();
  const runtime = await startRuntime({ ...config, thread: true });
  console.log(`Sambung ${version} listening on ${runtime.url} (data in ${config.dataDir})`);
  if (runtime.setupUrl) console.log(`No owner yet: open ${runtime.setupUrl} to create one (the link works once).`);

  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) {
      console.log("second signal: exiting without draining");
      process.exit(1);
    }
    console.log(`${signal}: draining in-flight work…`);
    runtime.stop().then(
      () => {
        console.log("stopped cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error("shutdown failed", { error: error as Error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`Sambung could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
