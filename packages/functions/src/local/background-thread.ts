import { createLocalPorts } from "@sambung/core/adapters/local/index";
import { systemClock } from "@sambung/core/adapters/clock";
import { parentPort, workerData } from "node:worker_threads";
import { usePorts } from "../ports.ts";
import { startBackground } from "./background.ts";
import { closePorts } from "./close-ports.ts";
import { HostMessage, ThreadData, type ThreadMessage } from "./background-protocol.ts";

/**
 * The background thread of `npm start`: the outbox dispatcher, the queue pollers
 * and the cron timer on a database connection of their own, so workers take the
 * second core instead of the request loop's time — as separate Lambdas do on AWS.
 */
const port = parentPort;
if (!port) throw new Error("background-thread.ts runs as a worker thread of the local runtime");
const data = ThreadData.parse(workerData);
const post = (message: ThreadMessage) => port.postMessage(message);

const ports = createLocalPorts(data.dataDir, systemClock, { allowPrivateUrls: data.allowPrivateUrls, publicUrl: data.publicUrl }, { checkpointer: false });
usePorts(ports);
const background = await startBackground(ports, systemClock, { run: true });
const report = setInterval(() => post({ kind: "states", states: background.states() }), data.reportEveryMs);

let stopping = false;
port.on("message", (raw: unknown) => {
  const message = HostMessage.parse(raw);
  if (message.kind === "signal") {
    for (const name of message.names) ports.database.signals.emit(name);
    return;
  }
  if (stopping) return;
  stopping = true;
  clearInterval(report);
  void (async () => {
    await background.stop();
    await closePorts(ports);
    post({ kind: "stopped", states: background.states() });
    port.close();
  })();
});
post({ kind: "ready", states: background.states() });
