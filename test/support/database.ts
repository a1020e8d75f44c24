/**
 * A fresh database per harness: a SQLite file in the harness folder, or, when TEST_DATABASE_URL is set, a new
 * PostgreSQL database on that server (created from the database the URL names, and dropped again by `drop()`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openStore, postgresConnectionString, type Store, type StoreOptions } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/schema.js';

export interface FreshDatabase {
  url: string;
  dialect: 'sqlite' | 'postgres';
  /** Removes the database (PostgreSQL; a SQLite file goes with its folder). Safe to call twice. */
  drop(): Promise<void>;
}

/** The PostgreSQL server the suite runs against, or undefined for a SQLite-only run. */
export function testPostgresUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

async function withAdminClient<T>(base: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresConnectionString(base), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `dialect` forces one kind (PostgreSQL needs TEST_DATABASE_URL); by default PostgreSQL when it is set. */
export async function freshDatabase(dir: string, dialect?: 'sqlite' | 'postgres'): Promise<FreshDatabase> {
  const base = testPostgresUrl();
  if (dialect === 'postgres' && !base) throw new Error('TEST_DATABASE_URL is not set');
  if (!base || dialect === 'sqlite')
    return { url: `sqlite:${join(dir, 'charthero.sqlite')}`, dialect: 'sqlite', drop: async () => {} };
  const name = `charthero_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient(base, (client) => client.query(`create database ${name}`));
  // With the user name spelled out (postgresConnectionString), any client a test opens on this URL connects too.
  const url = new URL(postgresConnectionString(base));
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    dialect: 'postgres',
    async drop() {
      if (dropped) return;
      dropped = true;
      // WITH (FORCE) ends sessions a test left behind (PostgreSQL 13+).
      await withAdminClient(base, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** The URL of a fresh database (kept for callers that manage no cleanup; prefer freshDatabase). */
export async function freshDatabaseUrl(dir: string): Promise<string> {
  return (await freshDatabase(dir)).url;
}

/**
 * Every row of every table (migration bookkeeping included), each table's rows in a stable order: two snapshots
 * are equal only if nothing was inserted, updated or deleted anywhere. `ignoreColumns` leaves out columns a running
 * server writes in the background on its own (name them, so the exclusion is visible where it is used).
 */
export async function snapshotDatabase(
  db: Kysely<Database>,
  ignoreColumns: Partial<Record<string, readonly string[]>> = {},
): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  const untyped = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const table of await db.introspection.getTables({ withInternalKyselyTables: true })) {
    const ignored = new Set(ignoreColumns[table.name] ?? []);
    const rows = await untyped.selectFrom(table.name).selectAll().execute();
    snapshot[table.name] = rows
      .map((row) => JSON.stringify(Object.entries(row).filter(([column]) => !ignored.has(column))))
      .sort();
  }
  return snapshot;
}

/**
 * A fresh, migrated store for one test file, opened before its tests and removed after them; `dir` is its
 * scratch folder (the SQLite file lives there). `dialect` forces one (PostgreSQL-only files), `options` are the
 * store's.
 */
export function useMigratedStore(
  prefix: string,
  setup: { dialect?: 'sqlite' | 'postgres'; options?: StoreOptions } = {},
): { readonly store: Store; readonly dir: string; readonly database: FreshDatabase } {
  const state: { store?: Store; dir?: string; database?: FreshDatabase } = {};
  beforeAll(async () => {
    state.dir = mkdtempSync(join(tmpdir(), prefix));
    state.database = await freshDatabase(state.dir, setup.dialect);
    state.store = openStore(state.database.url, setup.options);
    await migrate(state.store);
  });
  afterAll(async () => {
    await state.store?.close();
    await state.database?.drop();
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get store() {
      return state.store!;
    },
    get dir() {
      return state.dir!;
    },
    get database() {
      return state.database!;
    },
  };
}
