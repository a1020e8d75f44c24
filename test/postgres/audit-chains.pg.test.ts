/**
 * Two instances on one PostgreSQL database under load (CONTRACT.md section 14): each writes its own audit chain,
 * both verify, and neither waits on a shared row — the old single chain-head row is held locked by another
 * session the whole time (any writer touching it would stall and answer 503), and no lock request of the
 * servers' sessions is ever seen waiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { verifyLedger } from '../../src/audit/verify.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { postgresConnectionString } from '../../src/store/db.js';
import { freshDatabase } from '../support/database.js';
import { burst, expectAllServed, type Setup, startRuntime } from './served-runtime.js';

let setup: Setup;
let second: Runtime;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'charthero-audit-chains-'));
  const database = await freshDatabase(dir, 'postgres');
  setup = await startRuntime(database, dir, database.url);
  second = await createRuntime(setup.config, { logger: pino({ level: 'silent' }) as FastifyBaseLogger });
});

afterAll(async () => {
  await second?.close();
  await setup?.runtime.close();
  await setup?.database.drop();
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
});

it('two instances under load write two chains that both verify, without waiting on a shared row', async () => {
  const admin = new pg.Client({ connectionString: postgresConnectionString(setup.database.url) });
  await admin.connect();
  const holder = new pg.Client({ connectionString: postgresConnectionString(setup.database.url) });
  await holder.connect();
  let waits: unknown[] = [];
  let samples = 0;
  try {
    // The row every instance used to lock per batch: held for the whole load.
    await holder.query('begin');
    await holder.query('select * from audit_chain_head where id = 1 for update');
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await admin.query(
          `select l.locktype, l.mode, l.relation::regclass::text as relation
             from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where not l.granted and a.application_name = 'charthero' and a.datname = current_database()`,
        );
        samples++;
        if (rows.length > 0) waits = [...waits, ...rows];
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const secondSetup = { ...setup, runtime: second };
    const [first, other] = await Promise.all([burst(setup, 2500), burst(secondSetup, 2500)]);
    sampling = false;
    await sampler;
    expectAllServed(first);
    expectAllServed(other);

    const reports = await verifyLedger(setup.runtime.store.db, () => loadKeyring(setup.config));
    const byChain = new Map(reports.map((report) => [report.chain, report]));
    console.log(
      `[audit chains] ${first.length} + ${other.length} requests; chains ${JSON.stringify(
        reports.map((r) => [r.chain, r.records]),
      )}; ${samples} pg_locks samples, ${waits.length} waiting`,
    );
    expect(reports).toHaveLength(2);
    for (const [runtime, results] of [
      [setup.runtime, first],
      [second, other],
    ] as const) {
      const report = byChain.get(runtime.audit.chainId);
      expect(report?.broken).toBeUndefined();
      // The fixture's own requests went through the first instance before the load.
      expect(report?.records).toBeGreaterThanOrEqual(results.length);
    }
    expect(samples).toBeGreaterThan(20);
    expect(waits).toEqual([]);
  } finally {
    await holder.query('rollback').catch(() => {});
    await holder.end();
    await admin.end();
  }
}, 120_000);
