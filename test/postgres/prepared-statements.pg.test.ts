/**
 * On PostgreSQL the compiled queries (src/store/compiled.ts) run as named prepared statements, parsed and planned
 * once per connection. A connection whose prepared statement no longer fits — gone (a pooler reset the session),
 * its name taken, or its result type changed by a migration — is discarded, and the call still answers.
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

describe('compiled queries on PostgreSQL are prepared statements', () => {
  // One connection: every statement, the test's own included, runs in the same session.
  const setup = useMigratedStore('charthero-prepared-', { dialect: 'postgres', options: { poolSize: 1 } });
  const db = () => setup.store.db as Kysely<unknown>;
  const name = () =>
    preparedStatementName(
      setup.store.db
        .selectFrom('organizations')
        .select(['id', 'rate_limit_per_second'])
        .where('id', '=', PLACEHOLDER)
        .compile().sql,
    );
  /** The session's prepared statements of this project (not the ones a driver may make of its own). */
  const prepared = async () =>
    (
      await sql<{ name: string }>`select name from pg_prepared_statements where name like 'charthero_%'`.execute(db())
    ).rows.map((row) => row.name);
  const answer = () => organizationLimit.rows(setup.store.db, ['org_prepared']);

  it('prepares a statement once per connection and runs it from then on', async () => {
    await setup.store.db.insertInto('organizations').values(ORGANIZATION).execute();
    expect(await answer()).toEqual(ANSWER);
    expect(await answer()).toEqual(ANSWER);
    expect(await prepared()).toEqual([name()]);
  });

  it('answers when the session lost its prepared statements (as a pooler resetting it does), then prepares anew', async () => {
    expect(await prepared()).toEqual([name()]);
    await sql`deallocate all`.execute(db());
    expect(await answer()).toEqual(ANSWER);
    // That connection was discarded; the next call prepares the statement on the new one.
    expect(await prepared()).toEqual([]);
    expect(await answer()).toEqual(ANSWER);
    expect(await prepared()).toEqual([name()]);
  });

  it('answers when the name is taken by another statement in the session', async () => {
    // A session node-postgres has prepared nothing on (the call after a lost statement runs unnamed on a new one) …
    await answer();
    await sql`deallocate all`.execute(db());
    expect(await answer()).toEqual(ANSWER);
    expect(await prepared()).toEqual([]);
    // … where the name is in use, as on a pooled session another client prepared it on.
    await sql.raw(`prepare ${name()} as select 1`).execute(db());
    expect(await answer()).toEqual(ANSWER);
    expect(await prepared()).toEqual([]);
  });

  it('answers when a migration changed the type of a column it returns', async () => {
    expect(await answer()).toEqual(ANSWER);
    expect(await prepared()).toEqual([name()]);
    await sql`alter table organizations alter column rate_limit_per_second type numeric`.execute(db());
    const rows = await answer();
    expect(rows.map((row) => ({ ...row, rate_limit_per_second: Number(row.rate_limit_per_second) }))).toEqual(ANSWER);
    expect(await prepared()).toEqual([]);
  });
});
