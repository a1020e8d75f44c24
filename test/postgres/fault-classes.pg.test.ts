/**
 * The classifier (src/store/faults.ts) over the errors a real PostgreSQL server and a real broken network give the
 * store: each failure to connect, a read timeout and a connection broken mid-query are outages, and so are the
 * SQLSTATEs of operator intervention; the errors of a bug in a statement are not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { compiledQuery, PLACEHOLDER } from '../../src/store/compiled.js';
import { openStore } from '../../src/store/db.js';
import { DatastoreUnavailableError, isDatastoreFault } from '../../src/store/faults.js';
import type { Database } from '../../src/store/schema.js';
import { testPostgresUrl } from '../support/database.js';
import { failureOf, terminateSessionRunning, usePostgresStore } from './pg-store.js';
import { startTcpProxy } from './tcp-proxy.js';

const sleepFor = compiledQuery<{ slept: string }>((db) =>
  db.selectNoFrom(sql<string>`pg_sleep(${PLACEHOLDER}::float)::text`.as('slept')),
);

/**
 * The two ways a statement reaches the database: through Kysely's executor, and as a compiled query, which on
 * PostgreSQL runs on the guarded pool directly (src/store/compiled.ts). Each fault must look the same on both.
 */
const WAYS: [string, (db: Kysely<Database>, seconds: number) => Promise<{ slept: string }[]>][] = [
  [
    'through Kysely',
    async (db, seconds) =>
      (await sql<{ slept: string }>`select pg_sleep(${seconds}::float)::text as slept`.execute(db)).rows,
  ],
  ['as a compiled query', (db, seconds) => sleepFor.rows(db, [seconds])],
];

describe('PostgreSQL errors, classified', () => {
  const setup = usePostgresStore('charthero-classes-');

  const withUrl = (change: (url: URL) => void) => {
    const url = new URL(setup.database.url);
    change(url);
    return url.toString();
  };

  async function connectFailure(url: string) {
    const other = openStore(url, { timeoutMs: 500, poolSize: 1 });
    try {
      return await failureOf(sql`select 1`.execute(other.db));
    } finally {
      await other.close();
    }
  }

  it.each([
    ['42601', 'a syntax error', sql`selec 1`],
    ['42P01', 'an undefined table', sql`select * from no_such_table`],
    ['42703', 'an undefined column', sql`select no_such_column from organizations`],
    ['22P02', 'invalid input for a type', sql`select 'x'::int`],
    ['22012', 'division by zero', sql`select 1 / 0`],
  ])('%s (%s) is a bug', async (code, _what, statement) => {
    const error = await failureOf(statement.execute(setup.store.db));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code });
    expect(isDatastoreFault(error)).toBe(false);
  });

  it('23505 (a unique violation) is a bug', async () => {
    const row = { id: 'org_twice', name: 'Twice', allowlisted: 1, api_keys_enabled: 1, rate_limit_per_second: 0 };
    const values = { ...row, enabled_routes: '', state_version: 1, created_at_ms: 0 };
    await setup.store.db.insertInto('organizations').values(values).execute();
    const error = await failureOf(setup.store.db.insertInto('organizations').values(values).execute());
    expect(error).toMatchObject({ code: '23505' });
    expect(isDatastoreFault(error)).toBe(false);
  });

  it.each(WAYS)('57014 (statement timeout) is an outage, %s', async (_way, sleepSeconds) => {
    const error = await failureOf(sleepSeconds(setup.store.db, 5));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '57014' });
    expect(isDatastoreFault(error)).toBe(true);
  });

  it.each(WAYS)(
    '57P01 (the session terminated mid-query) is an outage, and the pool serves again, %s',
    async (_way, sleepSeconds) => {
      const running = failureOf(sleepSeconds(setup.store.db, 0.4));
      await terminateSessionRunning(setup.database.url, 'pg_sleep');
      const error = await running;
      expect(error).toBeInstanceOf(pg.DatabaseError);
      expect(error).toMatchObject({ code: '57P01' });
      expect(isDatastoreFault(error)).toBe(true);
      expect(await sleepSeconds(setup.store.db, 0)).toEqual([{ slept: '' }]);
    },
  );

  it('28000 at connect (a role that does not exist) is an outage', async () => {
    const error = await connectFailure(withUrl((url) => (url.username = 'charthero_no_such_role')));
    expect(error).toBeInstanceOf(DatastoreUnavailableError);
    expect(error).toMatchObject({ stage: 'connect', code: '28000' });
    expect(isDatastoreFault(error)).toBe(true);
  });

  it('3D000 at connect (a database that does not exist) is an outage', async () => {
    const error = await connectFailure(withUrl((url) => (url.pathname = '/charthero_no_such_database')));
    expect(error).toMatchObject({ stage: 'connect', code: '3D000' });
    expect(isDatastoreFault(error)).toBe(true);
  });

  it('55000 at connect (ALLOW_CONNECTIONS false) is an outage', async () => {
    const name = new URL(setup.database.url).pathname.slice(1);
    const admin = new pg.Client({
      connectionString: withUrl((url) => (url.pathname = new URL(testPostgresUrl()!).pathname)),
    });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      const error = await connectFailure(setup.database.url);
      expect(error).toMatchObject({ stage: 'connect', code: '55000' });
      expect(isDatastoreFault(error)).toBe(true);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    }
  });

  it.each(WAYS)(
    'a server gone silent mid-session is a read timeout; a connection reset mid-query a broken connection, %s',
    async (_way, sleepSeconds) => {
      const direct = new URL(setup.database.url);
      const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const viaProxy = openStore(
        withUrl((url) => {
          url.hostname = '127.0.0.1';
          url.port = String(proxy.port);
        }),
        { timeoutMs: 300, poolSize: 1 },
      );
      try {
        expect(await sleepSeconds(viaProxy.db, 0)).toEqual([{ slept: '' }]); // The one connection is open.
        proxy.stall();
        const started = performance.now();
        const silent = await failureOf(sleepSeconds(viaProxy.db, 0));
        expect(performance.now() - started).toBeLessThan(1500);
        expect(silent).toBeInstanceOf(DatastoreUnavailableError);
        expect(silent).toMatchObject({ stage: 'timeout' });
        expect(isDatastoreFault(silent)).toBe(true);
        await proxy.restore();

        await sleepSeconds(viaProxy.db, 0);
        const running = failureOf(sleepSeconds(viaProxy.db, 0.2));
        await sleep(50);
        await proxy.down();
        const broken = await running;
        expect(broken).toBeInstanceOf(DatastoreUnavailableError);
        expect(broken).toMatchObject({ stage: 'connection' });
        expect(isDatastoreFault(broken)).toBe(true);
        await proxy.restore();
        expect(await sleepSeconds(viaProxy.db, 0)).toEqual([{ slept: '' }]);
      } finally {
        await viaProxy.close();
        await proxy.close();
      }
    },
  );
});
