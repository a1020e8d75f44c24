/**
 * Faults for the 503 and 500 tests: a datastore that times out, a table that is gone (a bug, not an outage),
 * an audio storage folder that is not there, a digest keyring file that is not there.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { type CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import type { Harness } from './harness.js';

export type Restore = () => Promise<void>;

/** Tables a public request reads. */
const REQUEST_TABLES = [
  'api_keys',
  'organizations',
  'patients',
  'encounters',
  'documents',
  'transcripts',
  'recordings',
];

/**
 * The datastore stops answering. PostgreSQL: another session holds ACCESS EXCLUSIVE locks on every table a request
 * reads, so the server's statements run into its statement timeout (57014; 2 s by default — a lower
 * CHARTHERO_DATASTORE_TIMEOUT_MS would also bind the migrations of a busy test server). SQLite has no way to make
 * an open WAL connection wait on reads, so its executor is made to fail as better-sqlite3 does when the database
 * is locked (SQLITE_BUSY).
 */
export async function simulateDatastoreOutage(h: Harness): Promise<Restore> {
  if (h.runtime.store.dialect === 'postgres') {
    const client = new pg.Client({ connectionString: h.config.databaseUrl });
    await client.connect();
    await client.query('begin');
    await client.query(`lock table ${REQUEST_TABLES.join(', ')} in access exclusive mode`);
    return async () => {
      await client.query('rollback');
      await client.end();
    };
  }
  const executor = h.runtime.store.db.getExecutor() as unknown as {
    executeQuery: (query: CompiledQuery) => Promise<unknown>;
  };
  const original = executor.executeQuery;
  executor.executeQuery = async () => {
    throw new SqliteDatabase.SqliteError('database is locked', 'SQLITE_BUSY');
  };
  return async () => {
    executor.executeQuery = original;
  };
}

/** Renames a table away, as a broken migration would: every query on it fails with an unexpected error. */
export async function breakTable(h: Harness, table: string): Promise<Restore> {
  await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}_gone`)}`.execute(h.runtime.store.db);
  return async () => {
    await sql`alter table ${sql.table(`${table}_gone`)} rename to ${sql.table(table)}`.execute(h.runtime.store.db);
  };
}

/** The audio storage folder disappears (an unmounted volume); restored by renaming it back. */
export function removeAudioStorage(h: Harness): () => void {
  const dir = h.config.audioStorage.slice('file:'.length);
  const aside = `${dir}.unmounted`;
  renameSync(dir, aside);
  return () => renameSync(aside, dir);
}

/**
 * The digest keyring file disappears. The server re-reads it at most once a second, so call this before the first
 * request of a harness (or wait more than a second afterwards).
 */
export function removeKeyring(h: Harness): () => void {
  const path = h.config.digestKeysFile;
  const content = readFileSync(path);
  rmSync(path);
  return () => {
    if (!existsSync(path)) writeFileSync(path, content, { mode: 0o600 });
  };
}
