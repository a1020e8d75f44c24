/**
 * The database goes away, hangs, or answers too slowly, for real: the server reaches PostgreSQL through a TCP
 * proxy that resets and refuses connections ("down") or stops carrying bytes ("stall"), and another session holds
 * a lock past the statement timeout ("too slow"). Requests get 503 datastore_unavailable quickly (never a hang,
 * never a 500), /readyz turns 503, and the same running server answers 200 again once the database is back.
 *
 * These tests need PostgreSQL (TEST_DATABASE_URL). Without it only the SQLite-side check at the end runs; CI runs
 * the suite with TEST_DATABASE_URL and fails if the PostgreSQL tests did not run (.ci/run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringFile } from '../../src/access/digest-keyring.js';
import { issueKey } from '../../src/access/issue-key.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { type Config, loadConfig } from '../../src/config.js';
import { SCOPES } from '../../src/contract/routes.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { isDatastoreFault, openStore, postgresConnectionString } from '../../src/store/db.js';
import { type FreshDatabase, freshDatabase, testPostgresUrl } from '../support/database.js';
import { type Fixture, loadFixture } from '../support/fixture.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const TIMEOUT_MS = 1000;
/** "Quickly": well under the 3 s a client might wait, whatever the timeout path (connect, statement or read). */
const FAST_MS = 3000;

interface Served {
  url: string;
  status: number;
  reason: string | null;
  error: string | null;
  ms: number;
}

interface Setup {
  dir: string;
  database: FreshDatabase;
  config: Config;
  runtime: Runtime;
  fixture: Fixture;
  /** A key without a rate limit (the fixture's keys have the default one), for bursts of requests. */
  secret: string;
  logs: string[];
}

async function startRuntime(database: FreshDatabase, dir: string, databaseUrl: string): Promise<Setup> {
  const config = loadConfig({
    CHARTHERO_DATABASE_URL: databaseUrl,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
    CHARTHERO_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    CHARTHERO_DATASTORE_TIMEOUT_MS: String(TIMEOUT_MS),
    LOG_LEVEL: 'info',
  });
  createKeyringFile(config.digestKeysFile);
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }) as FastifyBaseLogger;
  const runtime = await createRuntime(config, { logger });
  const fixture = await loadFixture(runtime, config, dir);
  const { secret } = await issueKey(runtime.store.db, loadKeyring(config), {
    environment: config.keyEnvironment,
    organizationId: 'org_alpha',
    scopes: SCOPES,
    name: 'outage',
    expiresAtMs: null,
    rateLimitPerSecond: 0,
  });
  return { dir, database, config, runtime, fixture, secret, logs };
}

async function request(setup: Setup, url: string, secret: string): Promise<Served> {
  const started = performance.now();
  const response = await setup.runtime.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${secret}` },
  });
  const ms = Math.round(performance.now() - started);
  const body = response.json() as { error?: string; reason_code?: string };
  return { url, status: response.statusCode, reason: body.reason_code ?? null, error: body.error ?? null, ms };
}

async function readyz(setup: Setup): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now();
  const response = await setup.runtime.app.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, ms: Math.round(performance.now() - started), body: response.json() };
}

/** Requests over every kind of route. */
function routes(setup: Setup) {
  const full = setup.secret;
  return [
    ['/external/v1/encounters?limit=5', full],
    ['/external/v1/encounters?limit=2&offset=1&sort_order=asc&start_at=2026-01-01T00:00:00Z', full],
    ['/external/v1/encounters/enc_a1', full],
    ['/external/v1/encounters/enc_a1/documents/doc_note', full],
    ['/external/v1/encounters/enc_a1/documents/doc_amb/transcript', full],
  ] as const;
}

/**
 * Sends the routes round-robin (three clients at once) for `durationMs`. `extra` can add a key never used before,
 * whose lookup needs the database (the others are cached by then).
 */
async function burst(setup: Setup, durationMs: number, extra: readonly (readonly [string, string])[] = []) {
  const list = [...routes(setup), ...extra];
  const results: Served[] = [];
  const end = performance.now() + durationMs;
  let next = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const [url, secret] = list[next++ % list.length]!;
      results.push(await request(setup, url, secret));
      await sleep(5);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

function tally(results: readonly Served[]) {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = `${result.status}${result.reason ? ` ${result.reason}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const ms = results.map((result) => result.ms).sort((a, b) => a - b);
  return { counts, median: ms[Math.floor(ms.length / 2)] ?? 0, slowest: ms[ms.length - 1] ?? 0 };
}

/** Polls until a request succeeds; returns how long the server took to recover. */
async function recovery(setup: Setup, limitMs = 15_000): Promise<number> {
  const started = performance.now();
  const [url, secret] = routes(setup)[0];
  while (performance.now() - started < limitMs) {
    if ((await request(setup, url, secret)).status === 200 && (await readyz(setup)).status === 200) {
      return Math.round(performance.now() - started);
    }
    await sleep(25);
  }
  throw new Error(`no recovery within ${limitMs} ms`);
}

function expectAllUnavailable(results: readonly Served[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    expect(result, result.url).toMatchObject({
      status: 503,
      error: 'public_api_unavailable',
      reason: 'datastore_unavailable',
    });
    expect(result.ms, result.url).toBeLessThan(FAST_MS);
  }
}

function expectAllServed(results: readonly Served[]) {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) expect(result, result.url).toMatchObject({ status: 200, reason: null });
}

const unexpectedErrors = (setup: Setup) => setup.logs.filter((line) => line.includes('"unexpected error"'));

describe.runIf(testPostgresUrl())('PostgreSQL outage: a real cut between the server and the database', () => {
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

describe.runIf(testPostgresUrl())('PostgreSQL timeouts and pool bounds (openStore)', () => {
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

describe('SQLite: another process writing does not stall the server', () => {
  let dir: string;
  let setup: Setup;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-sqlite-lock-'));
    const database = await freshDatabase(dir, 'sqlite');
    setup = await startRuntime(database, dir, database.url);
  });
  afterAll(async () => {
    await setup?.runtime.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps serving while another connection holds the write lock (as a long import does), and the audit catches up', async () => {
    // better-sqlite3 waits for a lock synchronously: with a long busy timeout every audit flush would freeze the
    // whole event loop for that long while an import runs in another process.
    const other = new Database(setup.config.databaseUrl.slice('sqlite:'.length));
    other.exec('BEGIN IMMEDIATE');
    let worstGapMs = 0;
    let results: Served[] = [];
    try {
      let last = performance.now();
      const gaps = setInterval(() => {
        const now = performance.now();
        worstGapMs = Math.max(worstGapMs, now - last);
        last = now;
      }, 10);
      results = await burst(setup, 2000);
      clearInterval(gaps);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    console.log(
      `[sqlite write lock] ${results.length} requests ${JSON.stringify(tally(results))}; longest event-loop stall ${Math.round(worstGapMs)} ms`,
    );
    expectAllServed(results);
    expect(worstGapMs).toBeLessThan(1000);
    await setup.runtime.audit.flush();
    expect(setup.runtime.audit.pending()).toBe(0);
  });

  it('a server starting on a new file while another process holds the write lock waits for it instead of failing', async () => {
    const path = join(dir, 'second.sqlite');
    // The lock must be held by another process: this one's SQLite calls wait synchronously. It holds it for 800 ms
    // on a new, empty file, so the server's migration has to wait for it.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(${JSON.stringify(path)});
         db.pragma('journal_mode = WAL'); db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);
         db.exec('COMMIT'); db.close();`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = performance.now();
    const second = await createRuntime(
      { ...setup.config, databaseUrl: `sqlite:${path}` },
      { logger: pino({ level: 'silent' }) as FastifyBaseLogger },
    );
    const waited = performance.now() - started;
    const tables = await second.store.db.selectFrom('encounters').select('id').execute();
    await second.close();
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(waited).toBeGreaterThan(300); // It waited for the lock …
    expect(tables).toEqual([]); // … and then migrated and started.
  });
});
