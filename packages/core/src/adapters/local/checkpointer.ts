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
    // A restart waits at most this long for the other connections' transactions; it tries again next time.
    db.exec("PRAGMA busy_timeout = 50");
  } catch {
    // The database went away before this thread started: nothing to copy.
    done();
    return;
  }
  const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");
  const timer = setInterval(() => {
    try {
      const copied = passive.get();
      // Copied, but a writer only starts the WAL over when no reader is in it, which two
      // busy connections rarely allow: restart it here, with little left to copy.
      if (copied.busy === 0 && copied.log >= workerData.restartFrames && copied.checkpointed === copied.log) restart.get();
    } catch {}
  }, workerData.intervalMs);
  parentPort.on("message", () => {
    clearInterval(timer);
    db.close();
    done();
  });
})();
`;

/**
 * WAL frames (4 KB pages, so 512 MB) past which the checkpointer starts the WAL
 * over. Under steady load a writer never finds the WAL free of readers to restart it
 * itself, and it grew without end (500 MB in a 90-second benchmark). A restart holds
 * writers back while it waits for readers (20–70 ms seen here), so it is a cap, not a
 * routine: a hub at full load restarts about once a minute, an idle one never.
 */
const RESTART_FRAMES = 131_072;

/** How long closing the database waits for the thread to let go of its connection. */
const STOP_WAIT_MS = 5_000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private stopped = false;

  constructor(path: string, intervalMs = 1_000) {
    this.worker = new Worker(source, { eval: true, workerData: { path, intervalMs, restartFrames: RESTART_FRAMES, closed: this.closed.buffer } });
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
