/**
 * The ledger on its own: durable commits (group commit, one chain per ledger, HMAC with the keyring's chain key),
 * the datastore timeout, background records and their aggregation, the bounded backlog, outages, an unknown
 * write outcome, and what a record may contain.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditChainKey, type Keyring } from '../../../src/access/digest-keyring.js';
import { type AuditRow, chainHash, GENESIS_HASH, verifyChain } from '../../../src/audit/chain.js';
import { type AuditEvent, AuditUnavailableError } from '../../../src/audit/events.js';
import { auditFields, createAuditLedger, MAX_USER_AGENT_LENGTH } from '../../../src/audit/ledger.js';
import { loggableError } from '../../../src/error-log.js';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import type { Database } from '../../../src/store/schema.js';

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
const keyring: Keyring = {
  entries: [
    { version: 2, secret: randomBytes(32), createdAt: '' },
    { version: 1, secret: randomBytes(32), createdAt: '' },
  ],
};
const keyFor = (version: number) => {
  const entry = keyring.entries.find((candidate) => candidate.version === version);
  return entry && auditChainKey(entry);
};
const ledgerOptions = { keyring: () => keyring, commitTimeoutMs: 500, flushIntervalMs: 60_000, logger };

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

const refusal = (n: number, patch: Partial<AuditEvent> = {}) =>
  event(n, { status: 403, reasonCode: 'missing_scope', resourceIds: [], ...patch });
const anonymous = (n: number, patch: Partial<AuditEvent> = {}) =>
  event(n, { keyId: null, organizationId: null, status: 401, reasonCode: 'invalid_key', resourceIds: [], ...patch });

async function rows(chainId?: string): Promise<AuditRow[]> {
  let query = store.db.selectFrom('audit_events').selectAll().orderBy('id');
  if (chainId) query = query.where('chain_id', '=', chainId);
  return query.execute();
}

/** The store, with every transaction counted (and, while `failAfterCommit` is set, reported failed once done). */
function countingStore(): { store: Store; transactions: () => number; failAfterCommit: (on: boolean) => void } {
  let transactions = 0;
  let failAfter = false;
  const db = new Proxy(store.db, {
    get(target, property, receiver) {
      if (property !== 'transaction') {
        // Kysely keeps its state in private fields: methods must run on the real instance.
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return () => {
        const builder = target.transaction();
        return {
          execute: async <T>(work: (trx: never) => Promise<T>) => {
            transactions++;
            const result = await builder.execute(work as never);
            if (failAfter) {
              failAfter = false;
              throw new Error('Query read timeout');
            }
            return result;
          },
        };
      };
    },
  }) as Kysely<Database>;
  return {
    store: { ...store, db },
    transactions: () => transactions,
    failAfterCommit: (on) => {
      failAfter = on;
    },
  };
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

describe('durable commits', () => {
  it('resolve only once the records are stored, chained with the newest keyring version’s HMAC key', async () => {
    const ledger = createAuditLedger(store, ledgerOptions);
    await ledger.commit([event(1), event(2, { event: 'audio_url_issued' })]);
    const stored = await rows();
    expect(stored).toHaveLength(2);
    expect(stored.map((row) => [row.chain_id, Number(row.seq), row.key_version])).toEqual([
      [ledger.chainId, 1, 2],
      [ledger.chainId, 2, 2],
    ]);
    expect(ledger.chainId).toMatch(/^chn_[0-9a-f]{32}$/);
    expect(stored[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(stored[1]!.prev_hash).toBe(stored[0]!.hash);
    expect(chainHash(keyFor(2)!, GENESIS_HASH, stored[0]!)).toBe(stored[0]!.hash);
    expect(verifyChain(stored, keyFor)).toMatchObject({ ok: true, checked: 2, head: { seq: 2 } });
    // The chain key is not the raw secret, nor the other version's key.
    expect(chainHash(keyring.entries[0]!.secret, GENESIS_HASH, stored[0]!)).not.toBe(stored[0]!.hash);
    expect(verifyChain(stored, () => keyFor(1))).toMatchObject({ ok: false, brokenSeq: 1 });
    await ledger.close();
  });

  it('group commit: concurrent requests share transactions', async () => {
    const counted = countingStore();
    const ledger = createAuditLedger(counted.store, ledgerOptions);
    await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.commit([event(i)])));
    expect(await rows()).toHaveLength(200);
    // 200 requests in a burst: a handful of transactions (each takes what arrived meanwhile), never 200.
    expect(counted.transactions()).toBeGreaterThan(0);
    expect(counted.transactions()).toBeLessThanOrEqual(5);
    expect(verifyChain(await rows(), keyFor)).toMatchObject({ ok: true, checked: 200 });
    await ledger.close();
  });

  it('fails within the datastore timeout while the ledger cannot be written, and never writes those records', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, commitTimeoutMs: 400 });
    blocker.exec('begin immediate'); // another writer holds the lock
    const started = Date.now();
    await expect(ledger.commit([event(1)])).rejects.toBeInstanceOf(AuditUnavailableError);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1500);
    blocker.exec('rollback');
    // Its request answered 503, so the record (status 200) must never appear; the next commit works.
    await ledger.commit([event(2)]);
    await ledger.flush();
    expect((await rows()).map((row) => row.request_id)).toEqual(['r-2']);
    expect(verifyChain(await rows(), keyFor)).toMatchObject({ ok: true, checked: 1 });
    expect(JSON.stringify(errors[0])).toContain('audit write failed');
    await ledger.close();
  });

  it('a short lock is waited out: the commit succeeds once the lock is released', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, commitTimeoutMs: 2000 });
    blocker.exec('begin immediate');
    setTimeout(() => blocker.exec('rollback'), 300);
    await ledger.commit([event(1)]);
    expect(await rows()).toHaveLength(1);
    await ledger.close();
  });

  it('a write reported failed after it committed is not written again (the head is read back)', async () => {
    const counted = countingStore();
    const ledger = createAuditLedger(counted.store, { ...ledgerOptions, commitTimeoutMs: 2000 });
    counted.failAfterCommit(true);
    ledger.record(refusal(0));
    await ledger.commit([event(1)]);
    await ledger.commit([event(2)]);
    await ledger.flush();
    const stored = await rows();
    expect(stored.map((row) => row.request_id)).toEqual(['r-1', 'r-0', 'r-2']);
    expect(verifyChain(stored, keyFor)).toMatchObject({ ok: true, checked: 3 });
    await ledger.close();
  });

  it('two ledgers (two processes) write two chains that both verify', async () => {
    const other = openStore(`sqlite:${path}`);
    const first = createAuditLedger(store, ledgerOptions);
    const second = createAuditLedger(other, ledgerOptions);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).commit([event(i)])));
    expect(first.chainId).not.toBe(second.chainId);
    for (const ledger of [first, second]) {
      expect(verifyChain(await rows(ledger.chainId), keyFor)).toMatchObject({ ok: true, checked: 20 });
    }
    await first.close();
    await second.close();
    await other.close();
  });
});

describe('background records', () => {
  it('are written on the timer, or along with the next commit', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, flushIntervalMs: 20 });
    ledger.record(refusal(1));
    const deadline = Date.now() + 2000;
    while ((await rows()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await rows()).map((row) => row.request_id)).toEqual(['r-1']);
    await ledger.close();

    const slow = createAuditLedger(store, ledgerOptions);
    slow.record(refusal(2));
    await slow.commit([event(3)]);
    expect((await rows(slow.chainId)).map((row) => row.request_id)).toEqual(['r-3', 'r-2']);
    await slow.close();
  });

  it('refusals naming no key: one record per client address, route, reason and minute, with a count', async () => {
    let clock = Date.UTC(2026, 4, 1, 12, 0, 10);
    const ledger = createAuditLedger(store, { ...ledgerOptions, now: () => clock, flushIntervalMs: 20 });
    const at = (second: number) => Date.UTC(2026, 4, 1, 12, 0, second);
    for (let i = 0; i < 30; i++) ledger.record(anonymous(i, { atMs: at(10 + i) }));
    for (let i = 0; i < 5; i++) ledger.record(anonymous(100 + i, { atMs: at(20), clientIp: '198.51.100.9' }));
    for (let i = 0; i < 4; i++) ledger.record(anonymous(200 + i, { atMs: at(21), reasonCode: 'malformed_token' }));
    for (let i = 0; i < 3; i++) ledger.record(anonymous(300 + i, { atMs: at(61) })); // the next minute
    expect(ledger.pending()).toBe(4); // three open aggregates of the first minute, one of the second
    // Nothing is written while the minute is open.
    await new Promise((r) => setTimeout(r, 100));
    expect(await rows()).toHaveLength(0);
    clock = Date.UTC(2026, 4, 1, 12, 1, 1);
    const deadline = Date.now() + 2000;
    while ((await rows()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const written = await rows();
    expect(written.map((row) => [row.request_id, row.client_ip, row.reason_code, row.count])).toEqual([
      ['r-0', '127.0.0.1', 'invalid_key', 30],
      ['r-100', '198.51.100.9', 'invalid_key', 5],
      ['r-200', '127.0.0.1', 'malformed_token', 4],
    ]);
    // flush (shutdown) writes the open aggregate of the current minute too.
    await ledger.flush();
    expect((await rows()).map((row) => [row.request_id, row.count]).at(-1)).toEqual(['r-300', 3]);
    expect(verifyChain(await rows(), keyFor)).toMatchObject({ ok: true, checked: 4 });
    await ledger.close();
  });

  it('the backlog is bounded: past it, refusals are aggregated (logged and counted), disclosures still commit', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, backlogRecords: 5, commitTimeoutMs: 3000 });
    blocker.exec('begin immediate');
    for (let i = 0; i < 200; i++) ledger.record(refusal(i, { atMs: 1_780_000_000_000 }));
    expect(ledger.aggregated()).toBe(195);
    expect(ledger.pending()).toBe(6); // five individual records and one aggregate
    expect(JSON.stringify(errors)).toContain('audit backlog full');
    setTimeout(() => blocker.exec('rollback'), 200);
    await ledger.commit([event(1000)]);
    await ledger.flush();
    const written = await rows();
    expect(written.reduce((total, row) => total + row.count, 0)).toBe(201);
    expect(written.find((row) => row.count === 195)).toMatchObject({ request_id: 'r-5', key_id: 'key_1' });
    expect(ledger.dropped()).toBe(0);
    await ledger.close();
  });

  it('aggregate slots are bounded too: a flood from many addresses folds into one per route and reason', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, aggregateSlots: 10 });
    for (let i = 0; i < 1000; i++)
      ledger.record(anonymous(i, { atMs: 1_780_000_000_000, clientIp: `10.0.${i >> 8}.${i & 255}` }));
    expect(ledger.pending()).toBe(11);
    await ledger.flush();
    const written = await rows();
    expect(written).toHaveLength(11);
    // The fold names no address, key, organization or user agent: none of them would be true of all 990.
    expect(written.at(-1)).toMatchObject({
      client_ip: null,
      key_id: null,
      organization_id: null,
      user_agent: null,
      route_id: 'get_encounter',
      reason_code: 'invalid_key',
      count: 990,
    });
    expect(written.reduce((total, row) => total + row.count, 0)).toBe(1000);
    await ledger.close();
  });
});

describe('a datastore outage', () => {
  it('keeps background records for the next attempt, logs once, and loses nothing', async () => {
    const ledger = createAuditLedger(store, ledgerOptions);
    blocker.exec('begin immediate');
    for (let i = 0; i < 3; i++) ledger.record(refusal(i));
    await ledger.flush();
    expect(ledger.pending()).toBe(3);
    ledger.record(refusal(3));
    await ledger.flush();
    expect(ledger.pending()).toBe(4);
    expect(errors).toHaveLength(1);
    blocker.exec('rollback');
    ledger.record(refusal(4));
    await ledger.flush();
    expect(ledger.pending()).toBe(0);
    const written = await rows();
    expect(written.map((row) => row.request_id)).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    expect(verifyChain(written, keyFor)).toMatchObject({ ok: true, checked: 5 });
    expect(warnings).toHaveLength(1);
    await ledger.close();
  });

  it('a batch that fails halfway leaves nothing behind and is written exactly once later', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, batchSize: 500 });
    // Fails the second insert statement of the batch (rows are inserted 50 at a time) while `fault` has a row.
    blocker.exec(`create table fault (x integer);
      insert into fault values (1);
      create trigger audit_fault before insert on audit_events
      when new.request_id = 'r-75' and (select count(*) from fault) > 0
      begin select raise(abort, 'injected fault'); end;`);
    for (let i = 0; i < 120; i++) ledger.record(refusal(i));
    await ledger.flush();
    expect(ledger.pending()).toBe(120);
    expect(await rows()).toHaveLength(0);
    blocker.exec('delete from fault');
    await ledger.flush();
    const written = await rows();
    expect(written).toHaveLength(120);
    expect(new Set(written.map((row) => row.request_id)).size).toBe(120);
    expect(verifyChain(written, keyFor)).toMatchObject({ ok: true, checked: 120 });
    await ledger.close();
  });

  it('close() keeps retrying until the datastore is back', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, closeTimeoutMs: 5000 });
    blocker.exec('begin immediate');
    for (let i = 0; i < 10; i++) ledger.record(refusal(i));
    ledger.record(anonymous(11));
    setTimeout(() => blocker.exec('rollback'), 300);
    await ledger.close();
    expect(ledger.pending()).toBe(0);
    expect(await rows()).toHaveLength(11);
  });

  it('close() gives up after its timeout and says how many records it could not write', async () => {
    const ledger = createAuditLedger(store, { ...ledgerOptions, closeTimeoutMs: 300 });
    blocker.exec('begin immediate');
    ledger.record(refusal(1));
    const started = Date.now();
    await ledger.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ledger.pending()).toBe(1);
    expect(JSON.stringify(errors.at(-1))).toContain('could not be written before shutdown');
    await expect(ledger.commit([event(2)])).rejects.toBeInstanceOf(AuditUnavailableError);
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
    expect(fields.count).toBe(1);
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
