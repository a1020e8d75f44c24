/** The ledger on its own: batching, the hash chain, outages during a flush, and what a record may contain. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChainRow, GENESIS_HASH, verifyChain } from '../../../src/audit/chain.js';
import type { AuditEvent } from '../../../src/audit/events.js';
import { auditFields, createAuditLedger, MAX_USER_AGENT_LENGTH } from '../../../src/audit/ledger.js';
import { loggableError } from '../../../src/error-log.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';

let dir: string;
let path: string;
let store: Store;
let blocker: SqliteDatabase.Database;
const errors: unknown[] = [];
const warnings: unknown[] = [];
const logger = {
  error: (...args: unknown[]) => void errors.push(args),
  warn: (...args: unknown[]) => void warnings.push(args),
} as never;

function event(n: number, patch: Partial<AuditEvent> = {}): AuditEvent {
  return {
    atMs: 1_780_000_000_000 + n,
    event: 'request',
    requestId: `r-${n}`,
    keyId: 'key_1',
    organizationId: 'org_1',
    routeId: 'get_encounter',
    method: 'GET',
    status: 200,
    reasonCode: null,
    resourceIds: [`enc_${n}`],
    clientIp: '127.0.0.1',
    userAgent: 'test',
    latencyMs: 1.5,
    ...patch,
  };
}

async function rows(): Promise<ChainRow[]> {
  const all = await store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
  return all.map((row) => ({ ...row, id: Number(row.id) }));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'charthero-ledger-'));
  path = join(dir, 'db.sqlite');
  // A short busy timeout: a held write lock is an outage that ends quickly.
  store = openStore(`sqlite:${path}`, { timeoutMs: 100 });
  await migrate(store);
  blocker = new SqliteDatabase(path);
  errors.length = 0;
  warnings.length = 0;
});

afterEach(async () => {
  if (blocker.inTransaction) blocker.exec('rollback');
  blocker.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('batches and the chain', () => {
  it('writes records in order, chained from the genesis hash, and moves the head', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000, batchSize: 7 });
    for (let i = 0; i < 20; i++) ledger.record(event(i));
    expect(ledger.pending()).toBe(20);
    await ledger.flush();
    expect(ledger.pending()).toBe(0);
    const written = await rows();
    expect(written.map((row) => row.request_id)).toEqual(Array.from({ length: 20 }, (_, i) => `r-${i}`));
    expect(written[0]!.prev_hash).toBe(GENESIS_HASH);
    const verdict = verifyChain(written);
    expect(verdict).toMatchObject({ ok: true, checked: 20 });
    const head = await store.db.selectFrom('audit_chain_head').select('last_hash').executeTakeFirstOrThrow();
    expect(head.last_hash).toBe(written[19]!.hash);
    await ledger.close();
  });

  it('a second ledger (another instance) continues the same chain', async () => {
    const first = createAuditLedger(store, { flushIntervalMs: 60_000 });
    first.record(event(1));
    await first.close();
    const other = openStore(`sqlite:${path}`);
    const second = createAuditLedger(other, { flushIntervalMs: 60_000 });
    second.record(event(2));
    await second.close();
    await other.close();
    expect(verifyChain(await rows())).toMatchObject({ ok: true, checked: 2 });
  });

  it('flushes on its own timer, off the request path', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 20 });
    ledger.record(event(1));
    const deadline = Date.now() + 2000;
    while ((await rows()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await rows()).toHaveLength(1);
    await ledger.close();
  });

  it('detects an edited, a deleted and a reordered row', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) ledger.record(event(i));
    await ledger.close();
    const original = await rows();

    await store.db.updateTable('audit_events').set({ status: 404 }).where('id', '=', original[2]!.id).execute();
    expect(verifyChain(await rows())).toMatchObject({ ok: false, brokenId: original[2]!.id });
    await store.db.updateTable('audit_events').set({ status: 200 }).where('id', '=', original[2]!.id).execute();
    expect(verifyChain(await rows())).toMatchObject({ ok: true });

    await store.db.updateTable('audit_events').set({ resource_ids: '[]' }).where('id', '=', original[1]!.id).execute();
    expect(verifyChain(await rows())).toMatchObject({ ok: false, brokenId: original[1]!.id });
    await store.db
      .updateTable('audit_events')
      .set({ resource_ids: original[1]!.resource_ids })
      .where('id', '=', original[1]!.id)
      .execute();

    await store.db.deleteFrom('audit_events').where('id', '=', original[3]!.id).execute();
    expect(verifyChain(await rows())).toMatchObject({ ok: false, brokenId: original[4]!.id });

    // Even recomputing the edited row's own hash does not help: the next row's prev_hash no longer matches.
    const swapped = (await rows()).slice();
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(verifyChain(swapped).ok).toBe(false);
  });
});

describe('a datastore outage during a flush', () => {
  it('keeps every record for the next attempt, logs once, and loses nothing', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000, logger });
    blocker.exec('begin immediate'); // another writer holds the lock: SQLITE_BUSY after the busy timeout
    for (let i = 0; i < 3; i++) ledger.record(event(i));
    await ledger.flush();
    expect(ledger.pending()).toBe(3);
    ledger.record(event(3));
    await ledger.flush();
    expect(ledger.pending()).toBe(4);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('audit write failed');
    blocker.exec('rollback');

    ledger.record(event(4));
    await ledger.flush();
    expect(ledger.pending()).toBe(0);
    const written = await rows();
    expect(written.map((row) => row.request_id)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    expect(verifyChain(written)).toMatchObject({ ok: true, checked: 5 });
    expect(warnings).toHaveLength(1);
    await ledger.close();
  });

  it('a batch that fails halfway leaves nothing behind and is written exactly once later', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000, logger, batchSize: 500 });
    // Fails the second insert statement of the batch (rows are inserted 50 at a time) while `fault` has a row.
    blocker.exec(`create table fault (x integer);
      insert into fault values (1);
      create trigger audit_fault before insert on audit_events
      when new.request_id = 'r-75' and (select count(*) from fault) > 0
      begin select raise(abort, 'injected fault'); end;`);
    for (let i = 0; i < 120; i++) ledger.record(event(i));
    await ledger.flush();
    expect(ledger.pending()).toBe(120);
    expect(await rows()).toHaveLength(0);
    const head = await store.db.selectFrom('audit_chain_head').select('last_hash').executeTakeFirstOrThrow();
    expect(head.last_hash).toBe(GENESIS_HASH);

    blocker.exec('delete from fault');
    await ledger.flush();
    const written = await rows();
    expect(written).toHaveLength(120);
    expect(new Set(written.map((row) => row.request_id)).size).toBe(120);
    expect(verifyChain(written)).toMatchObject({ ok: true, checked: 120 });
    await ledger.close();
  });

  it('close() keeps retrying until the datastore is back', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000, logger, closeTimeoutMs: 5000 });
    blocker.exec('begin immediate');
    for (let i = 0; i < 10; i++) ledger.record(event(i));
    setTimeout(() => blocker.exec('rollback'), 300);
    await ledger.close();
    expect(ledger.pending()).toBe(0);
    expect(await rows()).toHaveLength(10);
  });

  it('close() gives up after its timeout and says how many records it could not write', async () => {
    const ledger = createAuditLedger(store, { flushIntervalMs: 60_000, logger, closeTimeoutMs: 300 });
    blocker.exec('begin immediate');
    ledger.record(event(1));
    const started = Date.now();
    await ledger.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ledger.pending()).toBe(1);
    expect(JSON.stringify(errors.at(-1))).toContain('could not be written before shutdown');
  });
});

describe('record contents', () => {
  it('stores ids, never a key pasted into a header, and no control characters', () => {
    const secret = `ch_sk_test_${'a'.repeat(38)}`;
    const fields = auditFields(
      event(1, {
        requestId: `req-${secret}`,
        userAgent: `curl/8\u0000\u001b[31m Bearer ${secret} ${'x'.repeat(1000)}`,
        latencyMs: 1.23456789,
      }),
    );
    expect(JSON.stringify(fields)).not.toContain('aaaaaaaa');
    expect(fields.request_id).toBe('req-ch_sk_[redacted]');
    expect(fields.user_agent!.startsWith('curl/8[31m Bearer ch_sk_[redacted] xxx')).toBe(true);
    expect(fields.user_agent).toHaveLength(MAX_USER_AGENT_LENGTH);
    expect(fields.latency_ms).toBe(1.235);
    expect(fields.resource_ids).toBe('["enc_1"]');
  });
});

describe('loggableError', () => {
  it('keeps the type, code, frames and cause chain, never a message (which can quote patient data)', () => {
    let thrown: unknown;
    try {
      JSON.parse('Avery Quill said hello');
    } catch (error) {
      thrown = new Error('wrapper: Avery', { cause: Object.assign(error as Error, { code: 'E_PARSE' }) });
    }
    const logged = loggableError(thrown);
    expect(JSON.stringify(logged)).not.toContain('Avery');
    expect(logged).toMatchObject({ type: 'Error', cause: { type: 'SyntaxError', code: 'E_PARSE' } });
    expect(logged.frames!.length).toBeGreaterThan(0);
    expect(logged.frames!.every((frame) => frame.startsWith('at '))).toBe(true);
    expect(loggableError('Avery')).toEqual({ type: 'string' });
  });
});
