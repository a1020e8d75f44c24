/**
 * PostgreSQL refusing or dropping the server's connections, one class of fault at a time (issue 10 item 7). The
 * server connects as a role of its own without superuser rights (superusers are exempt from connection limits), so
 * each fault is one PostgreSQL really raises: every request answers 200 or the standard 503 with `Retry-After`,
 * never a 500; the server logs the SQLSTATE the fault came with; and the same process serves again once the fault
 * is lifted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FreshDatabase, freshDatabase, testPostgresUrl } from '../support/database.js';
import {
  burst,
  expectAllServed,
  expectAllUnavailable,
  expectServedOrUnavailable,
  loggedFaultCodes,
  recovery,
  type Setup,
  startRuntime,
  TIMEOUT_MS,
  tally,
  unexpectedErrors,
} from './served-runtime.js';

describe('PostgreSQL faults at connect and in use: 503 datastore_unavailable, never 500, then 200 again', () => {
  let dir: string;
  let database: FreshDatabase;
  let setup: Setup;
  let admin: pg.Client;
  let databaseName: string;
  let role: string;

  /** Ends every session of the server's role, so that its next queries need new connections. */
  const terminateServerSessions = async (waitingOnLockOnly = false) => {
    const { rows } = await admin.query(
      `select pg_terminate_backend(pid) as ended from pg_stat_activity
       where datname = $1 and usename = $2 ${waitingOnLockOnly ? "and wait_event_type = 'Lock'" : ''}`,
      [databaseName, role],
    );
    return rows.length;
  };

  const serverSessions = async () =>
    (
      await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1 and usename = $2', [
        databaseName,
        role,
      ])
    ).rows[0].n as number;

  const waitUntilNoServerSessions = async () => {
    const deadline = performance.now() + 5000;
    while ((await serverSessions()) > 0 && performance.now() < deadline) await sleep(20);
    expect(await serverSessions()).toBe(0);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-faults-'));
    database = await freshDatabase(dir, 'postgres');
    databaseName = new URL(database.url).pathname.slice(1);
    role = `${databaseName}_server`;
    // Connected to the database the suite was given, so that this session outlives every fault of the test's own.
    const base = new URL(database.url);
    base.pathname = new URL(testPostgresUrl()!).pathname;
    admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`create role ${role} login nosuperuser`);
    await admin.query(`alter database ${databaseName} owner to ${role}`);
    const serverUrl = new URL(database.url);
    serverUrl.username = role;
    setup = await startRuntime(database, dir, serverUrl.toString());
  });

  afterEach(async () => {
    // Whatever a failing test left behind must not leak into the next one.
    await admin.query(`alter database ${databaseName} allow_connections true connection limit -1`);
    await admin.query(`alter role ${role} login connection limit -1`);
  });

  afterAll(async () => {
    await setup?.runtime.close();
    await database?.drop();
    await admin?.query(`drop role if exists ${role}`);
    await admin?.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Warm, fault, recover, serve: the part every class shares. Returns what the fault's requests got. */
  async function throughFault(name: string, fault: () => Promise<void>, lift: () => Promise<void>, ms = 1500) {
    expectAllServed(await burst(setup, 300));
    setup.logs.length = 0;
    await fault();
    const during = await burst(setup, ms, [['/external/v1/encounters/enc_b1', setup.fixture.keys.beta.secret]]);
    const codes = loggedFaultCodes(setup);
    await lift();
    const recoveredAfterMs = await recovery(setup);
    const after = await burst(setup, 500);
    console.log(
      `[fault ${name}] during: ${during.length} requests ${JSON.stringify(tally(during))}, logged codes ${codes.join(' ')}; ` +
        `recovered ${recoveredAfterMs} ms after the fault was lifted; after: ${after.length} requests ${JSON.stringify(tally(after))}`,
    );
    expectAllServed(after);
    expect(unexpectedErrors(setup)).toEqual([]);
    return { during, codes };
  }

  it('refused at connect (ALLOW_CONNECTIONS false, SQLSTATE 55000)', async () => {
    const { during, codes } = await throughFault(
      'allow_connections false',
      async () => {
        await admin.query(`alter database ${databaseName} allow_connections false`);
        await terminateServerSessions();
        await waitUntilNoServerSessions();
      },
      () => admin.query(`alter database ${databaseName} allow_connections true`).then(() => {}),
    );
    expectAllUnavailable(during);
    expect(codes).toContain('55000');
  });

  it('terminated mid-query (pg_terminate_backend while requests run, SQLSTATE 57P01)', async () => {
    let terminating = true;
    let terminated = 0;
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    const { during, codes } = await throughFault(
      'terminated',
      async () => {
        // Certainly mid-query: requests wait on a lock while their sessions are ended.
        await blocker.query('begin');
        await blocker.query('lock table encounters in access exclusive mode');
        void (async () => {
          await sleep(200);
          terminated += await terminateServerSessions(true);
          await blocker.query('rollback');
          // Then wherever the sessions happen to be, over and over.
          while (terminating) {
            terminated += await terminateServerSessions();
            await sleep(60);
          }
        })();
      },
      async () => {
        terminating = false;
        await blocker.end();
      },
    );
    expect(terminated).toBeGreaterThan(0);
    expectServedOrUnavailable(during);
    expect(during.some((result) => result.status === 503)).toBe(true);
    expect(codes).toContain('57P01');
  });

  it('too many clients (the database CONNECTION LIMIT taken by other sessions, SQLSTATE 53300)', async () => {
    const holders = [0, 1].map(() => new pg.Client({ connectionString: database.url }));
    const { during, codes } = await throughFault(
      'connection limit',
      async () => {
        for (const holder of holders) await holder.connect();
        await admin.query(`alter database ${databaseName} connection limit 2`);
        await terminateServerSessions();
        await waitUntilNoServerSessions();
      },
      async () => {
        await admin.query(`alter database ${databaseName} connection limit -1`);
        await Promise.all(holders.map((holder) => holder.end()));
      },
    );
    expectAllUnavailable(during);
    expect(codes).toContain('53300');
  });

  it('statement timeout (a lock held longer than CHARTHERO_DATASTORE_TIMEOUT_MS, SQLSTATE 57014)', async () => {
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    const { during, codes } = await throughFault(
      'statement timeout',
      async () => {
        await blocker.query('begin');
        await blocker.query('lock table encounters in access exclusive mode');
      },
      async () => {
        await blocker.query('rollback');
        await blocker.end();
      },
      2500,
    );
    expectAllUnavailable(during);
    for (const result of during) expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(codes).toEqual(['57014']);
  });

  /*
   * The server here authenticates under trust, where a wrong password cannot fail. A role that may not log in is
   * refused at connect with SQLSTATE 28000 (invalid authorization specification), the class a revoked or
   * misconfigured database credential gets; 28P01 (wrong password) takes the same path (a failed connect).
   */
  it('authentication refused at connect (the role may no longer log in, SQLSTATE 28000)', async () => {
    const { during, codes } = await throughFault(
      'nologin',
      async () => {
        await admin.query(`alter role ${role} nologin`);
        await terminateServerSessions();
        await waitUntilNoServerSessions();
      },
      () => admin.query(`alter role ${role} login`).then(() => {}),
    );
    expectAllUnavailable(during);
    expect(codes).toContain('28000');
  });
});

describe('CHARTHERO_DATABASE_POOL_SIZE', () => {
  let dir: string;
  let database: FreshDatabase;
  let setup: Setup;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-pool-'));
    database = await freshDatabase(dir, 'postgres');
    setup = await startRuntime(database, dir, database.url, { CHARTHERO_DATABASE_POOL_SIZE: '2' });
  });
  afterAll(async () => {
    await setup?.runtime.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bounds the connections one server opens (the LISTEN connection aside)', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const poolSessions = async () =>
        (
          await client.query(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and application_name = 'charthero' and query not ilike 'listen %'`,
          )
        ).rows[0].n as number;
      let loading = true;
      // Twelve requests at a time, each waiting for one of the two connections.
      const load = Promise.all([0, 1, 2, 3].map(() => burst(setup, 1500))).finally(() => {
        loading = false;
      });
      let most = 0;
      while (loading) {
        most = Math.max(most, await poolSessions());
        await sleep(10);
      }
      expectAllServed((await load).flat());
      expect(most).toBe(2);
    } finally {
      await client.end();
    }
  });
});
