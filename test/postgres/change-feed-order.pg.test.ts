/**
 * The change feed is read as `id > last seen id`, so an id must never become visible after a higher one: a reader
 * would skip it for good, and an instance would keep serving a revoked key from its cache. PostgreSQL draws
 * sequence values at insert time and commits in any order; the change_feed trigger (migration 001) makes inserts
 * take a transaction lock first. Here many writers hold their transactions open for random times after inserting
 * while a reader tails the feed: it must see every id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesSince, recordChange } from '../../src/store/change-feed.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';

describe('PostgreSQL change feed', () => {
  let dir: string;
  let database: FreshDatabase;
  let writers: Store;
  let reader: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'charthero-feed-'));
    database = await freshDatabase(dir, 'postgres');
    writers = openStore(database.url, { poolSize: 12, timeoutMs: 10_000 });
    reader = openStore(database.url, { poolSize: 1 });
    await migrate(writers);
  });

  afterAll(async () => {
    await writers?.close();
    await reader?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes ids visible in increasing order, so a reader tailing by id misses none', async () => {
    const WRITES = 60;
    const committed: number[] = [];
    const seen: number[] = [];
    let last = 0;
    let writing = true;
    const tail = (async () => {
      while (writing) {
        for (const change of await changesSince(reader.db, last)) {
          seen.push(change.id);
          last = change.id;
        }
      }
      for (const change of await changesSince(reader.db, last)) seen.push(change.id);
    })();
    await Promise.all(
      Array.from({ length: WRITES }, async (_, index) => {
        await sleep(Math.random() * 50);
        await writers.db.transaction().execute(async (trx) => {
          await recordChange(trx, 'key', `key_${index}`);
          await sleep(Math.random() * 20); // Commit at some later point, as a slow transaction would.
        });
        committed.push(index);
      }),
    );
    writing = false;
    await tail;
    const all = (await changesSince(reader.db, 0)).map((change) => change.id);
    expect(all).toHaveLength(WRITES);
    // The reader advanced its cursor as it went and still saw every id.
    expect(seen).toEqual(all);
  });

  it('notifies listeners when a change commits, not before', async () => {
    const wakeups: number[] = [];
    const subscription = reader.listen?.('charthero_change_feed', () => wakeups.push(performance.now()));
    expect(subscription).toBeDefined();
    try {
      await sleep(300); // LISTEN is in place.
      wakeups.length = 0;
      let committedAt = 0;
      await writers.db.transaction().execute(async (trx) => {
        await recordChange(trx, 'organization', 'org_notify');
        await sleep(200);
        expect(wakeups).toEqual([]);
        committedAt = performance.now();
      });
      const deadline = performance.now() + 2000;
      while (wakeups.length === 0 && performance.now() < deadline) await sleep(5);
      expect(wakeups.length).toBeGreaterThan(0);
      expect(wakeups[0]!).toBeGreaterThanOrEqual(committedAt);
    } finally {
      await subscription?.close();
    }
  });
});
