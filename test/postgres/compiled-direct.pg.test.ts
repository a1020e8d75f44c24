/**
 * On PostgreSQL, compiled queries on the store run on the guarded pool directly, not through Kysely
 * (src/store/compiled.ts), while a transaction's compiled queries still run on that transaction's connection.
 * That they fail as every other statement does (timeouts, a terminated session, a silent or broken connection)
 * is in fault-classes.pg.test.ts.
 */
import type { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compiledQuery, PLACEHOLDER } from '../../src/store/compiled.js';
import { inTransaction } from '../../src/store/db.js';
import { usePostgresStore } from './pg-store.js';

const organizationById = compiledQuery<{ id: string }>((db) =>
  db.selectFrom('organizations').select('id').where('id', '=', PLACEHOLDER),
);

describe('compiled queries on PostgreSQL, outside Kysely', () => {
  const setup = usePostgresStore('charthero-compiled-');

  it("skip Kysely's executor on the store, and run on the transaction's own connection inside one", async () => {
    const executor = setup.store.db.getExecutor() as unknown as {
      executeQuery(query: CompiledQuery): Promise<unknown>;
    };
    const original = executor.executeQuery;
    const throughKysely: string[] = [];
    executor.executeQuery = function (this: unknown, query: CompiledQuery) {
      throughKysely.push(query.sql);
      return original.call(this, query);
    };
    try {
      const row = { name: 'Direct', allowlisted: 1, api_keys_enabled: 1, rate_limit_per_second: 0 };
      const values = { ...row, id: 'org_direct', enabled_routes: '', state_version: 1, created_at_ms: 0 };
      await inTransaction(setup.store.db, async (trx) => {
        await trx.insertInto('organizations').values(values).execute();
        // The transaction sees its own uncommitted row; a statement on the pool does not.
        expect(await organizationById.rows(trx, ['org_direct'])).toEqual([{ id: 'org_direct' }]);
        expect(await organizationById.rows(setup.store.db, ['org_direct'])).toEqual([]);
      });
      expect(await organizationById.rows(setup.store.db, ['org_direct'])).toEqual([{ id: 'org_direct' }]);
      expect(throughKysely).toEqual([]);
      // The store's own executor is the one patched: a query that is not compiled still goes through it.
      await setup.store.db.selectFrom('organizations').select('id').execute();
      expect(throughKysely).toEqual(['select "id" from "organizations"']);
    } finally {
      executor.executeQuery = original;
    }
  });
});
