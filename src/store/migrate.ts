/** Schema migrations for both dialects, with Kysely's migrator (idempotent; safe to run on every start). */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect, Store } from './db.js';
import * as initial from './migrations/001-initial.js';
import * as auditLedger from './migrations/002-audit-ledger.js';
import * as webhooks from './migrations/003-webhooks.js';
import * as storedTurns from './migrations/004-stored-turns.js';
import * as encounterItems from './migrations/005-encounter-items.js';
import * as auditWithoutOrganizationIndex from './migrations/006-audit-without-organization-index.js';
import { SQLITE_STARTUP_WAIT_MS } from './sqlite.js';

/**
 * How long a migration waits for another process's SQLite write lock. A server's own connection waits only briefly
 * (SERVER_SQLITE_BUSY_MS, so requests never stall behind an import), but at startup, before serving, waiting for
 * an import or another starting instance is right.
 */
const SQLITE_MIGRATION_WAIT_MS = SQLITE_STARTUP_WAIT_MS;

function provider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '001-initial': { up: (db: Kysely<unknown>) => initial.up(db, dialect) },
    '002-audit-ledger': { up: (db: Kysely<unknown>) => auditLedger.up(db) },
    '003-webhooks': { up: (db: Kysely<unknown>) => webhooks.up(db, dialect) },
    '004-stored-turns': { up: (db: Kysely<unknown>) => storedTurns.up(db) },
    '005-encounter-items': { up: (db: Kysely<unknown>) => encounterItems.up(db, dialect) },
    '006-audit-without-organization-index': { up: (db: Kysely<unknown>) => auditWithoutOrganizationIndex.up(db) },
  };
  return { getMigrations: async () => migrations };
}

export async function migrate(store: Store): Promise<string[]> {
  // Migration names were reserved per feature (002 audit, 003 webhooks) and may land in any order: a database that
  // already ran 003 must still accept 002 when it arrives later.
  const migrator = new Migrator({ db: store.db, provider: provider(store.dialect), allowUnorderedMigrations: true });
  let restoreBusyTimeout: number | undefined;
  if (store.dialect === 'sqlite') {
    const { rows } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
    restoreBusyTimeout = rows[0]?.timeout;
    if (restoreBusyTimeout !== undefined && restoreBusyTimeout < SQLITE_MIGRATION_WAIT_MS) {
      await sql`pragma busy_timeout = ${sql.lit(SQLITE_MIGRATION_WAIT_MS)}`.execute(store.db);
    } else restoreBusyTimeout = undefined;
  }
  try {
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
  } finally {
    if (restoreBusyTimeout !== undefined) {
      await sql`pragma busy_timeout = ${sql.lit(restoreBusyTimeout)}`.execute(store.db);
    }
  }
}
