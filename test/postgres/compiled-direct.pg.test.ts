/**
 * On PostgreSQL, compiled queries on the store run on the guarded pool directly, not through Kysely
 * (src/store/compiled.ts): they must still get the store's timeouts and fault handling, and a transaction's
 * compiled queries must still run on that transaction's connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledQuery, PLACEHOLDER } from '../../src/store/compiled.js';
import { inTransaction, openStore, type Store } from '../../src/store/db.js';
import { isDatastoreFault } from '../../src/store/faults.js';
import { migrate } from '../../src/store/migrate.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';

const organizationById = compiledQuery<{ id: string }>((db) =>
  db.selectFrom('organizations').select('id').where('id', '=', PLACEHOLDER),
);
const sleepFor = compiledQuery<{ slept: string }>((db) =>
  db.selectNoFrom(sql<string>`pg_sleep(${PLACEHOLDER}::float)::text`.as('slept')),
);

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

describe('compiled queries on PostgreSQL, outside Kysely', () => {
  let dir: string;
  let database: FreshDatabase;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-compiled-'));
    database = await freshDatabase(dir, 'postgres');
    store = openStore(database.url, { timeoutMs: 500, poolSize: 2 });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("skip Kysely's executor on the store, and run on the transaction's own connection inside one", async () => {
    const executor = store.db.getExecutor() as unknown as { executeQuery(query: CompiledQuery): Promise<unknown> };
    const original = executor.executeQuery;
    const throughKysely: string[] = [];
    executor.executeQuery = function (this: unknown, query: CompiledQuery) {
      throughKysely.push(query.sql);
      return original.call(this, query);
    };
    try {
      const row = { name: 'Direct', allowlisted: 1, api_keys_enabled: 1, rate_limit_per_second: 0 };
      const values = { ...row, id: 'org_direct', enabled_routes: '', state_version: 1, created_at_ms: 0 };
      await inTransaction(store.db, async (trx) => {
        await trx.insertInto('organizations').values(values).execute();
        // The transaction sees its own uncommitted row; a statement on the pool does not.
        expect(await organizationById.rows(trx, ['org_direct'])).toEqual([{ id: 'org_direct' }]);
        expect(await organizationById.rows(store.db, ['org_direct'])).toEqual([]);
      });
      expect(await organizationById.rows(store.db, ['org_direct'])).toEqual([{ id: 'org_direct' }]);
      expect(throughKysely).toEqual([]);
      // The store's own executor is the one patched: a query that is not compiled still goes through it.
      await store.db.selectFrom('organizations').select('id').execute();
      expect(throughKysely).toEqual(['select "id" from "organizations"']);
    } finally {
      executor.executeQuery = original;
    }
  });

  it('a statement past the store timeout fails with 57014, an outage, and the pool serves again', async () => {
    const error = await failureOf(sleepFor.rows(store.db, [5]));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '57014' });
    expect(isDatastoreFault(error)).toBe(true);
    expect(await sleepFor.rows(store.db, [0])).toEqual([{ slept: '' }]);
  });

  it('a backend terminated mid-query fails with 57P01, an outage, and the pool serves again', async () => {
    const running = failureOf(sleepFor.rows(store.db, [0.4]));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      let ended = 0;
      const deadline = performance.now() + 2000;
      while (ended === 0 && performance.now() < deadline) {
        const { rows } = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and query like '%pg_sleep%' and pid <> pg_backend_pid()`,
        );
        ended = rows.length;
        if (ended === 0) await sleep(10);
      }
      expect(ended).toBe(1);
    } finally {
      await admin.end();
    }
    const error = await running;
    expect(error).toMatchObject({ code: '57P01' });
    expect(isDatastoreFault(error)).toBe(true);
    for (let i = 0; i < 3; i++) expect(await organizationById.rows(store.db, ['org_none'])).toEqual([]);
  });
});
