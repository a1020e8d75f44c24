import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatastoreFault, openStore, postgresConnectionString } from '../../src/store/db.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';
import {
  burst,
  expectAllServed,
  expectAllUnavailable,
  FAST_MS,
  readyz,
  recovery,
  type Setup,
  startRuntime,
  TIMEOUT_MS,
  tally,
  unexpectedErrors,
} from './served-runtime.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe('PostgreSQL outage: a real cut between the server and the database', () => {
  let setup: Setup;
  let proxy: TcpProxy;
  let adminUrl: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charthero-outage-'));
    const database = await freshDatabase(dir, 'postgres');
    adminUrl = postgresConnectionString(database.url);
    const direct = new URL(database.url);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    setup = await startRuntime(database, dir, viaProxy.toString());
  });

  afterAll(async () => {
    await setup?.runtime.close();
    await proxy?.close();
    await setup?.database.drop();
    if (setup) rmSync(setup.dir, { recursive: true, force: true });
  });

  it('database down (connections reset, port refusing): 503 at once, /readyz 503, then 200 again without a restart', async () => {
    expectAllServed(await burst(setup, 300)); // Warm: the key and organization are cached, the pool is open.
    expect((await readyz(setup)).status).toBe(200);

    await proxy.down();
    const during = await burst(setup, 2000, [['/external/v1/encounters/enc_b1', setup.fixture.keys.beta.secret]]);
    const ready = await readyz(setup);
    await proxy.restore();
    const recoveredAfterMs = await recovery(setup);
    const after = await burst(setup, 1000);
    const readyAfter = await readyz(setup);

    console.log(
      `[outage down] during: ${during.length} requests ${JSON.stringify(tally(during))}; /readyz ${ready.status} in ${ready.ms} ms; ` +
        `recovered ${recoveredAfterMs} ms after the database returned; after: ${after.length} requests ${JSON.stringify(tally(after))}; /readyz ${readyAfter.status}`,
    );
    expectAllUnavailable(during);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', checks: { database: false } });
    expect(ready.ms).toBeLessThan(FAST_MS);
    expectAllServed(after);
    expect(readyAfter.status).toBe(200);
    expect(unexpectedErrors(setup)).toEqual([]);
  });

  it('database hanging (bytes stop, new connections never answered): 503 within the timeout, then 200 again', async () => {
    expectAllServed(await burst(setup, 300));

    proxy.stall();
    const during = await burst(setup, 3000, [['/external/v1/encounters/enc_b1', setup.fixture.keys.beta.secret]]);
    const ready = await readyz(setup);
    await proxy.restore();
    const recoveredAfterMs = await recovery(setup);
    const after = await burst(setup, 1000);

    console.log(
      `[outage stall] during: ${during.length} requests ${JSON.stringify(tally(during))}; /readyz ${ready.status} in ${ready.ms} ms; ` +
        `recovered ${recoveredAfterMs} ms after the database returned; after: ${after.length} requests ${JSON.stringify(tally(after))}`,
    );
    expectAllUnavailable(during);
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(FAST_MS);
    expectAllServed(after);
    expect(unexpectedErrors(setup)).toEqual([]);
  });

  it('a statement slower than the timeout (another session holds a lock): 503 at the timeout, then 200', async () => {
    const blocker = new pg.Client({ connectionString: adminUrl });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table encounters in access exclusive mode');
      const during = await burst(setup, 2500);
      await blocker.query('rollback');
      const after = await burst(setup, 500);
      console.log(
        `[outage slow statement] during: ${during.length} requests ${JSON.stringify(tally(during))}; after: ${after.length} requests ${JSON.stringify(tally(after))}`,
      );
      expectAllUnavailable(during);
      // The statement timeout, not a hang: each request waited about TIMEOUT_MS.
      for (const result of during) expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expectAllServed(after);
      expect(unexpectedErrors(setup)).toEqual([]);
    } finally {
      await blocker.end();
    }
  });

  it('the change-feed listener reconnects by itself after the outage', async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const listeners = async () =>
        (
          await client.query(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and application_name = 'charthero' and query ilike 'listen %'`,
          )
        ).rows[0].n as number;
      const deadline = performance.now() + 10_000;
      while ((await listeners()) !== 1 && performance.now() < deadline) await sleep(100);
      expect(await listeners()).toBe(1);
    } finally {
      await client.end();
    }
  });
});

describe('PostgreSQL timeouts and pool bounds (openStore)', () => {
  let dir: string;
  let database: FreshDatabase;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-pg-'));
    database = await freshDatabase(dir, 'postgres');
  });
  afterAll(async () => {
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cancels a statement at statement_timeout (a datastore fault) and keeps the connection usable', async () => {
    const store = openStore(database.url, { timeoutMs: 300, poolSize: 1 });
    try {
      const started = performance.now();
      const error = await store.db
        .selectNoFrom((eb) => eb.fn('pg_sleep', [eb.val(5)]).as('slept'))
        .execute()
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({ code: '57014' });
      expect(isDatastoreFault(error)).toBe(true);
      expect(elapsed).toBeLessThan(1500);
      const { rows } = await sql<{ one: number }>`select 1::int as one`.execute(store.db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await store.close();
    }
  });

  it('never opens more than poolSize connections, and a caller waiting for one gives up at the timeout', async () => {
    const store = openStore(database.url, { timeoutMs: 400, poolSize: 2 });
    try {
      const pids = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.db
            .selectNoFrom((eb) => [
              eb.fn<number>('pg_backend_pid').as('pid'),
              eb.fn('pg_sleep', [eb.val(0.05)]).as('slept'),
            ])
            .executeTakeFirstOrThrow()
            .then((row) => row.pid),
        ),
      );
      expect(new Set(pids).size).toBeLessThanOrEqual(2);
      // Both connections busy for longer than the timeout: a third caller gets a fault, not an endless wait.
      const sleepers = [0, 1].map(() =>
        store.db
          .selectNoFrom((eb) => eb.fn('pg_sleep', [eb.val(0.35)]).as('slept'))
          .execute()
          .catch(() => undefined),
      );
      await sleep(20);
      const started = performance.now();
      const waited = await store.db
        .selectNoFrom((eb) => eb.val(1).as('one'))
        .execute()
        .then(
          () => 'served',
          (caught: unknown) => (isDatastoreFault(caught) ? 'fault' : String(caught)),
        );
      const elapsed = performance.now() - started;
      await Promise.all(sleepers);
      // Either the pool freed a connection in time (the sleepers end before the wait does), or the wait ended.
      expect(['served', 'fault']).toContain(waited);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      await store.close();
    }
  });
});
