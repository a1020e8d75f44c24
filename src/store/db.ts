/**
 * One Kysely query layer over SQLite (the zero-setup default, src/store/sqlite.ts) and PostgreSQL (production,
 * src/store/postgres.ts and src/store/listen.ts); which failures are outages is src/store/faults.ts.
 */
import { type Kysely, sql } from 'kysely';
import { DEFAULT_DATABASE_POOL_SIZE } from '../config.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { openSqlite } from './sqlite.js';

export { isDatastoreFault } from './faults.js';
export { postgresConnectionString } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

/** A subscription to database notifications; `close()` stops it for good. */
export interface Subscription {
  close(): Promise<void>;
}

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /**
   * PostgreSQL only: calls `onNotify` for every NOTIFY on `channel`, on a dedicated connection that reconnects by
   * itself (and calls `onNotify` once after each reconnect, since notifications sent meanwhile are lost).
   * Notifications are a wake-up signal only; readers must still read the state from the tables.
   */
  listen?(channel: string, onNotify: () => void): Subscription;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * Milliseconds one statement may run (server-side `statement_timeout`), one connection may take to open, and a
   * request may wait for a pooled connection. The client also gives up on a silent server shortly after.
   */
  timeoutMs?: number;
  /** The most PostgreSQL connections this process opens (plus one for LISTEN). */
  poolSize?: number;
  /**
   * SQLite: how long a statement waits for another process's write lock (default `timeoutMs`). better-sqlite3
   * waits synchronously, blocking the whole event loop, so a server passes a short wait (SERVER_SQLITE_BUSY_MS):
   * its request path only reads (WAL readers never wait on writers) and its background writes retry later.
   */
  busyTimeoutMs?: number;
  /** SQLite: checkpoint the WAL in a worker thread rather than inside commits (a server's store). */
  backgroundCheckpoints?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 2000;
/** The longest a server's SQLite statement blocks the event loop waiting for another process's write lock. */
export const SERVER_SQLITE_BUSY_MS = 100;

export function openStore(url: string, options: StoreOptions = {}): Store {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (url.startsWith('sqlite:')) {
    return openSqlite(url.slice('sqlite:'.length), options.busyTimeoutMs ?? timeoutMs, options.backgroundCheckpoints);
  }
  return openPostgres(url, timeoutMs, options.poolSize ?? DEFAULT_DATABASE_POOL_SIZE);
}

/** Whether the database answers a trivial query now (readiness); never throws. */
export function databaseAnswers(db: Kysely<Database>): Promise<boolean> {
  return sql`select 1 as ok`
    .execute(db)
    .then(() => true)
    .catch(() => false);
}

/** Runs `work` in one transaction: all of it commits, or none (the import's all-or-nothing, docs/import.md). */
export function inTransaction<T>(db: Kysely<Database>, work: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
