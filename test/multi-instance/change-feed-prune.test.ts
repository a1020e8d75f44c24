/**
 * The change feed is pruned (issue 13, CONTRACT.md section 13 operations): rows older than an hour go, in bounded
 * batches, by whichever instance gets there; the newest row stays; a running instance still sees a revocation
 * within 1 s; and an instance that missed rows because they were pruned before it read them forgets its cache.
 * SQLite always, PostgreSQL when TEST_DATABASE_URL is set (the harness's database).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAccessDirectory } from '../../src/access/access-directory.js';
import { loadKeyring } from '../../src/access/keyring-source.js';
import { createRuntime } from '../../src/runtime.js';
import { setKeyStatus } from '../../src/store/api-keys.js';
import {
  CHANGE_FEED_PRUNE_BATCH,
  CHANGE_FEED_RETENTION_MS,
  pruneChanges,
  recordChange,
} from '../../src/store/change-feed.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { updateOrganization } from '../../src/store/organizations.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';
import { expectError } from '../support/expect-error.js';
import { useHarness } from '../support/use-harness.js';

const HOUR_AND_A_MINUTE_AGO = () => Date.now() - CHANGE_FEED_RETENTION_MS - 60_000;

/** Every row of the feed, oldest first (the test's own oracle, not the store's functions). */
async function feed(store: Store) {
  const { rows } = await sql<{ id: number; entity_id: string; changed_at_ms: number }>`
    select id, entity_id, changed_at_ms from change_feed order by id`.execute(store.db);
  return rows.map((row) => ({ ...row, id: Number(row.id), changed_at_ms: Number(row.changed_at_ms) }));
}

async function insertOldRows(store: Store, count: number, prefix: string) {
  const at = HOUR_AND_A_MINUTE_AGO();
  for (let start = 0; start < count; start += 500) {
    const rows = Array.from({ length: Math.min(500, count - start) }, (_, index) => ({
      entity: 'key' as const,
      entity_id: `${prefix}_${start + index}`,
      changed_at_ms: at,
    }));
    await store.db.insertInto('change_feed').values(rows).execute();
  }
}

describe('pruneChanges', () => {
  let dir: string;
  let database: FreshDatabase;
  let store: Store;
  let second: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-prune-'));
    database = await freshDatabase(dir);
    store = openStore(database.url, { timeoutMs: 10_000 });
    second = openStore(database.url, { timeoutMs: 10_000 });
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await second?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deletes rows older than the cutoff, one bounded batch per call, oldest first, never the newest row', async () => {
    // Recent rows with the lowest ids: the cutoff is by time, not by id.
    await recordChange(store.db, 'key', 'recent_1');
    await recordChange(store.db, 'key', 'recent_2');
    await insertOldRows(store, 250, 'old');
    const all = await feed(store);
    const recent = all.slice(0, 2);
    const old = all.slice(2);
    const cutoff = Date.now() - CHANGE_FEED_RETENTION_MS;

    expect(await pruneChanges(store.db, cutoff, 100)).toBe(100);
    expect(await feed(store)).toEqual([...recent, ...old.slice(100)]);
    expect(await pruneChanges(store.db, cutoff, 100)).toBe(100);
    expect(await pruneChanges(store.db, cutoff, 100)).toBe(49);
    expect(await pruneChanges(store.db, cutoff, 100)).toBe(0);
    // The newest row is old too, and is kept.
    expect(await feed(store)).toEqual([...recent, old.at(-1)]);
  });

  it('is safe to run from two instances at once', async () => {
    await insertOldRows(store, 1200, 'concurrent');
    const before = await feed(store);
    const cutoff = Date.now() - CHANGE_FEED_RETENTION_MS;
    const pruneAll = async (instance: Store) => {
      let total = 0;
      let deleted: number;
      do {
        deleted = await pruneChanges(instance.db, cutoff, 100);
        total += deleted;
      } while (deleted > 0);
      return total;
    };
    const [first, other] = await Promise.all([pruneAll(store), pruneAll(second)]);
    const expected = before.filter((row) => row.changed_at_ms >= cutoff || row === before.at(-1));
    expect(first + other).toBe(before.length - expected.length);
    expect(await feed(store)).toEqual(expected);
  });
});

describe('change feed pruning on a running instance', () => {
  const h = useHarness();
  /** Another instance on the same database: the test's own connection. */
  let other: Store;
  beforeAll(() => {
    other = openStore(h.config.databaseUrl, { timeoutMs: 10_000 });
  });
  afterAll(() => other?.close());

  it('a running instance prunes by itself, in batches, and still refuses a revoked key within 1 s', async () => {
    const key = h.fixture.keys.full;
    const existing = await feed(other); // The fixture's changes, all recent.
    const inserted = CHANGE_FEED_PRUNE_BATCH * 2 + 500;
    await insertOldRows(other, inserted, 'old');
    await recordChange(other.db, 'organization', 'org_recent'); // Recent, and now the newest row.
    // Started after the old rows exist, so it never has to read them: what is measured below is propagation, not
    // a backlog of made-up changes (an instance looks up every change row it reads).
    const pruning = await createRuntime(h.config, {
      logger: pino({ level: 'silent' }) as FastifyBaseLogger,
      changeFeedPruneIntervalMs: 100,
    });
    const get = () =>
      pruning.app.inject({
        method: 'GET',
        url: '/external/v1/encounters?limit=1',
        headers: { authorization: `Bearer ${key.secret}` },
      });
    try {
      expect((await get()).statusCode).toBe(200);
      const deadline = performance.now() + 10_000;
      while ((await feed(other)).some((row) => row.changed_at_ms < Date.now() - CHANGE_FEED_RETENTION_MS)) {
        if (performance.now() > deadline) throw new Error('the running instance did not prune the feed');
        await sleep(50);
      }
      const after = await feed(other);
      console.log(`[change feed prune] ${existing.length + inserted + 1} rows written, ${after.length} left`);
      expect(after.slice(0, -1)).toEqual(existing);
      expect(after.at(-1)).toMatchObject({ entity_id: 'org_recent' });

      // The instance's cursor survived the pruning: a revocation made elsewhere reaches it within 1 s.
      await setKeyStatus(other.db, key.id, 'revoked');
      const revokedAt = performance.now();
      let response = await get();
      while (response.statusCode === 200 && performance.now() - revokedAt < 2000) {
        await sleep(20);
        response = await get();
      }
      const propagationMs = performance.now() - revokedAt;
      console.log(`[change feed prune] revocation reached the running instance in ${Math.round(propagationMs)} ms`);
      expect(propagationMs).toBeLessThan(1000);
      expectError(response, { reason_code: 'revoked_key' });
    } finally {
      await pruning.close();
    }
  });

  it('an instance whose unread changes were pruned drops its cache instead of serving what it missed', async () => {
    const key = h.fixture.keys.listOnly;
    const keyring = loadKeyring(h.config);
    // A reader that fell behind: its poller is off, so only refresh() below reads the feed.
    const behind = createAccessDirectory(other.db, { environment: h.config.keyEnvironment, pollIntervalMs: 3_600_000 });
    await behind.start();
    try {
      expect(await behind.findKey(key.secret, keyring)).toMatchObject({ id: key.id, status: 'active' });
      // The revocation, then a later change; both age past the retention and are pruned, but for the newest row.
      await setKeyStatus(other.db, key.id, 'revoked');
      await updateOrganization(other.db, 'org_alpha', { name: 'Alpha renamed' });
      await sql`update change_feed set changed_at_ms = ${HOUR_AND_A_MINUTE_AGO()}`.execute(other.db);
      let deleted: number;
      do deleted = await pruneChanges(other.db, Date.now() - CHANGE_FEED_RETENTION_MS);
      while (deleted > 0);
      expect((await feed(other)).map((row) => row.entity_id)).toEqual(['org_alpha']);

      // Its last read of the feed was over half the retention ago (only the clock is faked; timers run).
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + CHANGE_FEED_RETENTION_MS / 2 + 60_000);
      await behind.refresh();
      expect(await behind.findKey(key.secret, keyring)).toMatchObject({ id: key.id, status: 'revoked' });
    } finally {
      vi.useRealTimers();
      await behind.stop();
    }
  });
});
