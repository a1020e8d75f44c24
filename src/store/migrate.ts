/** Schema migrations for both dialects, with Kysely's migrator (idempotent; safe to run on every start). */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Dialect, Store } from './db.js';
import * as initial from './migrations/001-initial.js';

function provider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '001-initial': { up: (db: Kysely<unknown>) => initial.up(db, dialect) },
  };
  return { getMigrations: async () => migrations };
}

export async function migrate(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: provider(store.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
