// @ts-check
/**
 * The worker thread of src/store/sqlite-checkpoints.ts: a PASSIVE checkpoint of one SQLite database every interval,
 * on a connection of its own. Plain JavaScript so that the same file runs from src/ (tests) and from dist/.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

/** @type {{ path: string; intervalMs: number }} */
const { path, intervalMs } = workerData;
const sqlite = new SqliteDatabase(path, { fileMustExist: true });
// PASSIVE waits for no reader, writer or busy handler: a checkpoint another connection is running makes it a no-op.
const timer = setInterval(() => sqlite.pragma('wal_checkpoint(PASSIVE)'), intervalMs);
parentPort?.once('message', () => {
  clearInterval(timer);
  sqlite.close();
  parentPort?.close();
});
