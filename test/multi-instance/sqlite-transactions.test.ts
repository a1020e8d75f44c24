/**
 * Several processes share one SQLite file (servers, and the CLI next to them). A transaction that reads and then
 * writes must not fail with "database is locked" because another process committed in between: the store begins
 * every transaction with BEGIN IMMEDIATE (src/store/db.ts), so it holds the write lock from its first statement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';

let dir: string;
let path: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'charthero-sqlite-tx-'));
  path = join(dir, 'charthero.sqlite');
  store = openStore(`sqlite:${path}`, { timeoutMs: 2000 });
  await migrate(store);
});

afterAll(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a read-then-write transaction is not failed by another process committing in between', async () => {
  const other = new Database(path);
  other.pragma('busy_timeout = 0');
  let otherWrite = 'not tried';
  try {
    await store.db.transaction().execute(async (trx) => {
      await trx.selectFrom('change_feed').select('id').execute(); // Read first, as setKeyStatus does.
      try {
        other.prepare("insert into change_feed (entity, entity_id, changed_at_ms) values ('key', 'other', 1)").run();
        otherWrite = 'committed';
      } catch (error) {
        otherWrite = (error as { code?: string }).code ?? String(error);
      }
      await trx.insertInto('change_feed').values({ entity: 'key', entity_id: 'mine', changed_at_ms: 2 }).execute();
    });
  } finally {
    other.close();
  }
  // The other writer found the lock taken (and would have waited its busy timeout); this transaction went through.
  expect(otherWrite).toBe('SQLITE_BUSY');
  const rows = await store.db.selectFrom('change_feed').select('entity_id').execute();
  expect(rows.map((row) => row.entity_id)).toEqual(['mine']);
});
