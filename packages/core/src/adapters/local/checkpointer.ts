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
const closed = new Int32Array(workerData.closed);
const done = () => {
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
};
(() => {
  let db;
  try {
    db = new DatabaseSync(workerData.path);
    db.exec("PRAGMA busy_timeout = 1000");
  } catch {
    // The database went away before this thread started: nothing to copy.
    done();
    return;
  }
  const timer = setInterval(() => {
    try { db.exec("PRAGMA wal_checkpoint(PASSIVE)"); } catch {}
  }, workerData.intervalMs);
  parentPort.on("message", () => {
    clearInterval(timer);
    db.close();
    done();
  });
})();
`;

/** How long closing the database waits for the thread to let go of its connection. */
const STOP_WAIT_MS = 5_000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private stopped = false;

  constructor(path: string, intervalMs = 1_000) {
    this.worker = new Worker(source, { eval: true, workerData: { path, intervalMs, closed: this.closed.buffer } });
    this.worker.unref();
    // A thread that cannot start only means no early checkpoints; SQLite checkpoints at close anyway.
    this.worker.on("error", () => Atomics.store(this.closed, 0, 1));
  }

  /**
   * Blocks until the thread has closed its connection, so the main connection
   * closes last: SQLite then checkpoints and removes the WAL files itself, and
   * nothing touches the files after `LocalDatabase.close` returns.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage("stop");
    Atomics.wait(this.closed, 0, 0, STOP_WAIT_MS);
  }
}
