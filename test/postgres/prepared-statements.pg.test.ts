/**
 * On PostgreSQL the compiled queries (src/store/compiled.ts) run as named prepared statements, parsed and planned
 * once per connection. A connection whose prepared statement no longer fits is discarded, and the call still
 * answers: after a migration changed a column it returns, the next connection prepares it again; after a sign of a
 * pooler swapping sessions (the statement gone, or its name taken), the store runs every statement unnamed.
 */
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { compiledQuery, PLACEHOLDER } from '../../src/store/compiled.js';
import { preparedStatementName } from '../../src/store/postgres.js';
import { useMigratedStore } from '../support/database.js';

const organizationLimit = compiledQuery<{ id: string; rate_limit_per_second: number }>((db) =>
  db.selectFrom('organizations').select(['id', 'rate_limit_per_second']).where('id', '=', PLACEHOLDER),
);
const ORGANIZATION = {
  id: 'org_prepared',
  name: 'Prepared',
  allowlisted: 1,
  api_keys_enabled: 1,
  rate_limit_per_second: 7,
  enabled_routes: '',
  state_version: 1,
  created_at_ms: 0,
};
const ANSWER = [{ id: 'org_prepared', rate_limit_per_second: 7 }];

/** A store of one connection (every statement, the test's own included, runs in one session) with the row. */
function useOneSession(prefix: string) {
  const setup = useMigratedStore(prefix, { dialect: 'postgres', options: { poolSize: 1 } });
  const db = () => setup.store.db as Kysely<unknown>;
  return {
    db,
    /** The name the store prepares `organizationLimit` under. */
    name: () =>
      preparedStatementName(
        setup.store.db
          .selectFrom('organizations')
          .select(['id', 'rate_limit_per_second'])
          .where('id', '=', PLACEHOLDER)
          .compile().sql,
      ),
    /** The session's prepared statements of this project (not the ones a driver may make of its own). */
    prepared: async () =>
      (
        await sql<{ name: string }>`select name from pg_prepared_statements where name like 'charthero_%'`.execute(db())
      ).rows.map((row) => row.name),
    answer: async () => {
      const rows = await organizationLimit.rows(setup.store.db, ['org_prepared']);
      return rows.map((row) => ({ ...row, rate_limit_per_second: Number(row.rate_limit_per_second) }));
    },
    insert: () => setup.store.db.insertInto('organizations').values(ORGANIZATION).execute(),
  };
}

describe('compiled queries on PostgreSQL are prepared statements', () => {
  const session = useOneSession('charthero-prepared-');

  it('prepares a statement once per connection and runs it from then on', async () => {
    await session.insert();
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.prepared()).toEqual([session.name()]);
  });

  it('answers when a migration changed the type of a column it returns, and prepares it anew', async () => {
    expect(await session.prepared()).toEqual([session.name()]);
    await sql`alter table organizations alter column rate_limit_per_second type numeric`.execute(session.db());
    expect(await session.answer()).toEqual(ANSWER);
    // That connection was discarded; the call ran unnamed on the new one, and the next one prepares it there.
    expect(await session.prepared()).toEqual([]);
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.prepared()).toEqual([session.name()]);
  });
});

describe('a session that lost its prepared statements (26000)', () => {
  const session = useOneSession('charthero-prepared-lost-');

  it('answers, and from then on the store runs its statements unnamed', async () => {
    await session.insert();
    await session.answer();
    expect(await session.prepared()).toEqual([session.name()]);
    await sql`deallocate all`.execute(session.db());
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.prepared()).toEqual([]);
  });
});

describe("a session where a statement's name is taken (42P05)", () => {
  const session = useOneSession('charthero-prepared-taken-');

  it('answers, and from then on the store runs its statements unnamed', async () => {
    // A session node-postgres has prepared nothing on: the first call there prepares.
    await session.insert();
    await sql.raw(`prepare ${session.name()} as select 1`).execute(session.db());
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.answer()).toEqual(ANSWER);
    expect(await session.prepared()).toEqual([]);
  });
});
