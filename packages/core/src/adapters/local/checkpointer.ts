import { Worker } from "node:worker_threads";

/**
 * Copies the WAL back into the database file from a worker thread with its own
 * connection. SQLite's automatic checkpoint runs inside whichever COMMIT crosses
 * the threshold and fsyncs there, stalling every request queued behind that
 * commit on the one event loop; a PASSIVE checkpoint elsewhere never blocks the
 * writers. A checkpoint that finds the database busy simply runs on the next tick.
 */
const source = `
const { workerData, parentPort } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(workerData.path);
db.exec("PRAGMA busy_timeout = 1000");
const checkpoint = (mode) => { try { db.exec("PRAGMA wal_checkpoint(" + mode + ")"); } catch {} };
const timer = setInterval(() => checkpoint("PASSIVE"), workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint("PASSIVE");
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs = 1_000) {
    this.worker = new Worker(source, { eval: true, workerData: { path, intervalMs } });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
  }

  async stop(): Promise<void> {
    this.worker.postMessage("stop");
    await this.exited;
  }
}
