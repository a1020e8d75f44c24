/** The SQLite store: its file (owner-only), its dialect (BEGIN IMMEDIATE) and its prepared-statement cache. */
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';
import type { Store } from './db.js';
import type { Database } from './schema.js';
import { startBackgroundCheckpoints } from './sqlite-checkpoints.js';

/** How long opening a SQLite file, and migrating it (src/store/migrate.ts), waits for another process's lock. */
export const SQLITE_STARTUP_WAIT_MS = 30_000;

/** The folder and the file hold PHI: readable by their owner only (docs/import.md). */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

/** `backgroundCheckpoints`: a server's store, its WAL checkpointed by a worker (src/store/sqlite-checkpoints.ts). */
export function openSqlite(path: string, busyTimeoutMs: number, backgroundCheckpoints = false): Store {
  if (path !== ':memory:') createOwnerOnly(path);
  const sqlite = new SqliteDatabase(path);
  // Opening may have to wait for another process's lock (switching a new file to WAL needs one); that happens
  // before anything is served, so it may wait as long as a migration does.
  sqlite.pragma(`busy_timeout = ${SQLITE_STARTUP_WAIT_MS}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) });
  const stopCheckpoints =
    backgroundCheckpoints && path !== ':memory:' ? startBackgroundCheckpoints(sqlite, path) : undefined;
  return {
    db,
    dialect: 'sqlite',
    async close() {
      // The worker's connection goes first, so that closing the last one checkpoints the WAL and removes it.
      await stopCheckpoints?.();
      await db.destroy();
    },
  };
}

/**
 * Creates the missing folders (0700) and an empty database file (0600), whatever the umask: modes are set with
 * chmod, which the umask does not narrow or widen. SQLite gives the -wal and -shm files it creates the mode of the
 * database file. Existing folders and files keep the modes their operator chose.
 */
function createOwnerOnly(path: string): void {
  const folder = dirname(resolve(path));
  const firstCreated = mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
  if (firstCreated !== undefined) {
    for (let created = folder; ; created = dirname(created)) {
      chmodSync(created, FOLDER_MODE);
      if (created === firstCreated || dirname(created) === created) break;
    }
  }
  let fd: number;
  try {
    // O_EXCL: only a file this call creates; an empty file is a new database to SQLite.
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, which was a tenth of the server's CPU time per request (bench/README.md).
 * The queries are a small, fixed set of SQL texts, so prepared statements are kept by text; Kysely's SQLite
 * driver runs one query at a time on its connection, so a statement is never in use twice at once.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(text: string) {
      let statement = statements.get(text);
      if (!statement) {
        statement = sqlite.prepare(text);
        // Texts with a varying number of parameters (IN lists, batch inserts) must not grow the cache forever.
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(text, statement);
      }
      return statement;
    },
    close: () => sqlite.close(),
  };
}

/**
 * Every transaction here writes, and several processes share one SQLite file (the server and the CLI, or several
 * servers). A plain (deferred) BEGIN reads first and upgrades to a write lock later; when another process has
 * committed in between, SQLite fails the upgrade at once with SQLITE_BUSY ("database is locked"), without waiting
 * the busy timeout. BEGIN IMMEDIATE takes the write lock first, so a transaction waits its turn instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig;
  constructor(settings: SqliteDialectConfig) {
    super(settings);
    this.#settings = settings;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#settings);
  }
}
