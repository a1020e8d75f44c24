/**
 * A server's SQLite WAL is checkpointed in a worker thread, off the event loop. SQLite's automatic checkpoint runs
 * inside whichever commit takes the WAL past `wal_autocheckpoint` pages: on a server that is an audit commit, on the
 * event loop, copying pages into the database file and fsyncing it while every request waits (bench/README.md).
 * The worker checkpoints every CHECKPOINT_INTERVAL_MS instead; the automatic checkpoint stays on at a higher
 * threshold as a backstop for a worker that falls behind, and at SQLite's own threshold again if the worker stops.
 */
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 1000;
/** Pages of WAL past which a commit checkpoints by itself while the worker runs (about 40 MB). */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;
/** SQLite's default `wal_autocheckpoint`, restored when the worker is gone. */
export const DEFAULT_CHECKPOINT_PAGES = 1000;

/** Starts the worker for the database file at `path` (open on `sqlite`); the function returned stops it. */
export function startBackgroundCheckpoints(
  sqlite: SqliteDatabase.Database,
  path: string,
  intervalMs = CHECKPOINT_INTERVAL_MS,
): () => Promise<void> {
  const worker = new Worker(new URL('./sqlite-checkpoint-worker.mjs', import.meta.url), {
    workerData: { path, intervalMs },
  });
  // It never keeps a process alive on its own; the store's close stops it.
  worker.unref();
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A worker that failed (it could not open the file, a checkpoint threw) leaves the commits to checkpoint again.
  const fallBack = () => {
    if (!stopping && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  return async () => {
    stopping = true;
    // It closes its connection between two checkpoints, then exits; until it has, it keeps the process alive (a
    // shutdown with nothing else left running would otherwise end here, before the rest of it).
    worker.ref();
    worker.postMessage('stop');
    await exited;
  };
}
