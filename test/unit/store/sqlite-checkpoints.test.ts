/**
 * A server's SQLite WAL is checkpointed by a worker thread (src/store/sqlite-checkpoints.ts), so no request waits
 * for a checkpoint's page copies and fsync inside an audit commit: pages written reach the database file without
 * any commit on the server's connection crossing its (raised) automatic threshold; a worker that cannot run hands
 * checkpoints back to the commits; closing the store stops the worker before the last connection closes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';
import {
  BACKSTOP_CHECKPOINT_PAGES,
  CHECKPOINT_INTERVAL_MS,
  DEFAULT_CHECKPOINT_PAGES,
  startBackgroundCheckpoints,
} from '../../../src/store/sqlite-checkpoints.js';
import { startRuntime } from '../../postgres/served-runtime.js';
import { freshDatabase } from '../../support/database.js';

const PAGE_BYTES = 4096;
/** Well under both thresholds: only the worker can move these pages into the database file. */
const PAGES_WRITTEN = 300;

async function autocheckpointPages(db: Kysely<unknown>): Promise<number> {
  const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
  return rows[0]!.wal_autocheckpoint;
}

/** This process's open descriptors (any thread's) of the database file, its -wal and its -shm (Linux). */
function openFilesOf(path: string): number {
  let open = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(path)) open++;
    } catch {
      // Closed since the listing.
    }
  }
  return open;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe('SQLite checkpoints in a worker thread', () => {
  let root: string;
  let count = 0;
  const file = () => join(root, `db-${++count}.sqlite`);
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'charthero-checkpoints-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function openServerStore(path: string): Promise<Store> {
    const store = openStore(`sqlite:${path}`, { backgroundCheckpoints: true });
    await migrate(store);
    return store;
  }

  it('moves committed pages into the database file without a commit checkpointing', async () => {
    const path = file();
    const store = await openServerStore(path);
    try {
      const db = store.db as Kysely<unknown>;
      expect(await autocheckpointPages(db)).toBe(BACKSTOP_CHECKPOINT_PAGES);
      await sql`create table filler (bytes blob not null)`.execute(db);
      await sql`pragma wal_checkpoint(truncate)`.execute(db);
      const before = statSync(path).size;
      for (let page = 0; page < PAGES_WRITTEN; page++) {
        await sql`insert into filler (bytes) values (randomblob(${PAGE_BYTES}))`.execute(db);
      }
      const checkpointed = await until(
        () => statSync(path).size >= before + PAGES_WRITTEN * PAGE_BYTES,
        5 * CHECKPOINT_INTERVAL_MS,
      );
      expect({ checkpointed, walBytes: statSync(`${path}-wal`).size > 0 }).toEqual({
        checkpointed: true,
        walBytes: true,
      });
    } finally {
      await store.close();
    }
  });

  it("is how a server's runtime opens its SQLite store", async () => {
    const dir = join(root, `runtime-${++count}`);
    const database = await freshDatabase(dir, 'sqlite');
    const { runtime } = await startRuntime(database, dir, database.url);
    try {
      expect(await autocheckpointPages(runtime.store.db as Kysely<unknown>)).toBe(BACKSTOP_CHECKPOINT_PAGES);
    } finally {
      await runtime.close();
    }
  });

  it('leaves a store opened without it (the CLI) to checkpoint in its commits', async () => {
    const store = openStore(`sqlite:${file()}`);
    try {
      expect(await autocheckpointPages(store.db as Kysely<unknown>)).toBe(DEFAULT_CHECKPOINT_PAGES);
    } finally {
      await store.close();
    }
  });

  it('gives the checkpoints back to the commits when the worker cannot run', async () => {
    const sqlite = new SqliteDatabase(file());
    try {
      const stop = startBackgroundCheckpoints(sqlite, join(root, 'missing', 'nothing.sqlite'));
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_CHECKPOINT_PAGES);
      const fellBack = await until(
        () => sqlite.pragma('wal_autocheckpoint', { simple: true }) === DEFAULT_CHECKPOINT_PAGES,
        5000,
      );
      expect(fellBack).toBe(true);
      await stop();
    } finally {
      sqlite.close();
    }
  });

  it('stops the worker on close: no connection to the file is left open once close returns', async () => {
    // What the store's own connection holds open, from a store without the worker.
    const plainPath = file();
    const plain = openStore(`sqlite:${plainPath}`);
    await migrate(plain);
    const ownFiles = openFilesOf(plainPath);
    await plain.close();
    const path = file();
    const store = await openServerStore(path);
    // The worker opens a connection of its own as it starts.
    expect(await until(() => openFilesOf(path) > ownFiles, 5 * CHECKPOINT_INTERVAL_MS)).toBe(true);
    await store.close();
    expect({ openFiles: openFilesOf(path), wal: existsSync(`${path}-wal`) }).toEqual({ openFiles: 0, wal: false });
  });

  it('keeps a process with nothing else left running alive until close has finished', async () => {
    // As at the end of a server's shutdown: the store is the last thing open, and the line after close must run.
    const script = `import { openStore } from ${JSON.stringify(join(process.cwd(), 'src/store/db.ts'))};
      const store = openStore(${JSON.stringify(`sqlite:${file()}`)}, { backgroundCheckpoints: true });
      await store.close();
      process.stdout.write('closed');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({
      status: 0,
      stdout: 'closed',
      stderr: '',
    });
  });
});
