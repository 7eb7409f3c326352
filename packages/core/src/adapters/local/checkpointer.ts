import { Worker } from "node:worker_threads";

/**
 * Copies the WAL back into the database file from a worker thread with its own
 * connection. SQLite's automatic checkpoint runs inside whichever COMMIT crosses
 * the threshold and fsyncs there, stalling every request queued behind that
 * commit on the one event loop; a PASSIVE checkpoint elsewhere never blocks the
 * writers. A checkpoint that finds the database busy simply runs on the next tick.
 *
 * Each tick that copies everything also tries to start the WAL over (RESTART)
 * without waiting: a writer only does that itself when it begins while the WAL is
 * fully copied, which two busy connections never allow. Before, the WAL grew to
 * the cap below, and the one restart there held writers back for 300–450 ms, every
 * 18 s at 1,000 deliveries/s. Ticks are short so that a restart has only a few
 * milliseconds of frames to copy while it holds writers back (5 ms median, 23 ms at
 * most, in that benchmark); one that meets a reader gives up at once and the next
 * tick tries again.
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
    // Never wait for a lock, except past the cap below.
    db.exec("PRAGMA busy_timeout = 0");
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
      if (copied.busy !== 0 || copied.log === 0 || copied.checkpointed !== copied.log) return;
      const capped = copied.log >= workerData.restartFrames;
      if (capped) db.exec("PRAGMA busy_timeout = 50");
      try {
        restart.get();
      } finally {
        if (capped) db.exec("PRAGMA busy_timeout = 0");
      }
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
 * WAL frames (4 KB pages, so 512 MB) past which a restart may wait up to 50 ms for
 * readers instead of giving up: a safety net for a WAL that no tick found free,
 * never reached in the benchmarks since ticks restart it (it stays under 40 MB).
 */
const RESTART_FRAMES = 131_072;

/** How long closing the database waits for the thread to let go of its connection. */
const STOP_WAIT_MS = 5_000;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private stopped = false;

  constructor(path: string, intervalMs = 100) {
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
