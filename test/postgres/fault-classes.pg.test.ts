/**
 * The classifier (src/store/faults.ts) over the errors a real PostgreSQL server and a real broken network give the
 * store: each failure to connect, a read timeout and a connection broken mid-query are outages, and so are the
 * SQLSTATEs of operator intervention; the errors of a bug in a statement are not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { DatastoreUnavailableError, isDatastoreFault } from '../../src/store/faults.js';
import { migrate } from '../../src/store/migrate.js';
import { type FreshDatabase, freshDatabase, testPostgresUrl } from '../support/database.js';
import { startTcpProxy } from './tcp-proxy.js';

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

describe('PostgreSQL errors, classified', () => {
  let dir: string;
  let database: FreshDatabase;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-classes-'));
    database = await freshDatabase(dir, 'postgres');
    store = openStore(database.url, { timeoutMs: 500, poolSize: 2 });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const withUrl = (change: (url: URL) => void) => {
    const url = new URL(database.url);
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
    const error = await failureOf(statement.execute(store.db));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code });
    expect(isDatastoreFault(error)).toBe(false);
  });

  it('23505 (a unique violation) is a bug', async () => {
    const row = { id: 'org_twice', name: 'Twice', allowlisted: 1, api_keys_enabled: 1, rate_limit_per_second: 0 };
    const values = { ...row, enabled_routes: '', state_version: 1, created_at_ms: 0 };
    await store.db.insertInto('organizations').values(values).execute();
    const error = await failureOf(store.db.insertInto('organizations').values(values).execute());
    expect(error).toMatchObject({ code: '23505' });
    expect(isDatastoreFault(error)).toBe(false);
  });

  it('57014 (statement timeout) is an outage', async () => {
    const error = await failureOf(sql`select pg_sleep(5)`.execute(store.db));
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '57014' });
    expect(isDatastoreFault(error)).toBe(true);
  });

  it('57P01 (the session terminated mid-query) is an outage, and the pool serves again', async () => {
    const running = failureOf(sql`select pg_sleep(0.4), 'mid-query' as tag`.execute(store.db));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      let ended = 0;
      const deadline = performance.now() + 2000;
      while (ended === 0 && performance.now() < deadline) {
        const { rows } = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
           where datname = current_database() and query like '%''mid-query''%' and pid <> pg_backend_pid()`,
        );
        ended = rows.length;
        if (ended === 0) await sleep(10);
      }
      expect(ended).toBe(1);
    } finally {
      await admin.end();
    }
    const error = await running;
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '57P01' });
    expect(isDatastoreFault(error)).toBe(true);
    expect((await sql<{ one: number }>`select 1::int as one`.execute(store.db)).rows).toEqual([{ one: 1 }]);
  });

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
    const name = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({
      connectionString: withUrl((url) => (url.pathname = new URL(testPostgresUrl()!).pathname)),
    });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      const error = await connectFailure(database.url);
      expect(error).toMatchObject({ stage: 'connect', code: '55000' });
      expect(isDatastoreFault(error)).toBe(true);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    }
  });

  it('a server gone silent mid-session is a read timeout; a connection reset mid-query a broken connection', async () => {
    const direct = new URL(database.url);
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = openStore(
      withUrl((url) => {
        url.hostname = '127.0.0.1';
        url.port = String(proxy.port);
      }),
      { timeoutMs: 300, poolSize: 1 },
    );
    try {
      await sql`select 1`.execute(viaProxy.db); // The one connection is open.
      proxy.stall();
      const started = performance.now();
      const silent = await failureOf(sql`select 1`.execute(viaProxy.db));
      expect(performance.now() - started).toBeLessThan(1500);
      expect(silent).toBeInstanceOf(DatastoreUnavailableError);
      expect(silent).toMatchObject({ stage: 'timeout' });
      expect(isDatastoreFault(silent)).toBe(true);
      await proxy.restore();

      await sql`select 1`.execute(viaProxy.db);
      const running = failureOf(sql`select pg_sleep(0.2)`.execute(viaProxy.db));
      await sleep(50);
      await proxy.down();
      const broken = await running;
      expect(broken).toBeInstanceOf(DatastoreUnavailableError);
      expect(broken).toMatchObject({ stage: 'connection' });
      expect(isDatastoreFault(broken)).toBe(true);
      await proxy.restore();
      expect((await sql<{ one: number }>`select 1::int as one`.execute(viaProxy.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
