/**
 * SQLite with several writers: a long write in another process (an import, the CLI) must not stall the server's
 * event loop, and a server starting next to it waits for the lock instead of failing. While the lock is held the
 * audit ledger cannot be written, so no data goes out (CONTRACT.md section 14): 503 within the datastore timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import {
  burst,
  expectAllServed,
  expectAllUnavailable,
  type Served,
  type Setup,
  startRuntime,
  tally,
} from '../postgres/served-runtime.js';
import { freshDatabase } from '../support/database.js';

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

  it('another connection holding the write lock (as a long import does): 503 quickly, no stall, then served again', async () => {
    // better-sqlite3 waits for a lock synchronously: with a long busy timeout every audit write would freeze the
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
    // Durable before disclosure: no response could have its record committed, so none carried data.
    expectAllUnavailable(results);
    expect(worstGapMs).toBeLessThan(1000);
    expectAllServed(await burst(setup, 300));
    // The refusals recorded meanwhile are written once the lock is gone.
    await setup.runtime.audit.flush();
    expect(setup.runtime.audit.pending()).toBe(0);
    const refusals = await setup.runtime.store.db
      .selectFrom('audit_events')
      .select('reason_code')
      .where('status', '=', 503)
      .execute();
    expect(refusals).toHaveLength(results.length);
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
    // Listened for at once: the holder may be gone before the server has started and closed.
    const holderExited = new Promise((resolve) => holder.once('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = performance.now();
    const second = await createRuntime(
      { ...setup.config, databaseUrl: `sqlite:${path}` },
      { logger: pino({ level: 'silent' }) as FastifyBaseLogger },
    );
    const waited = performance.now() - started;
    const tables = await second.store.db.selectFrom('encounters').select('id').execute();
    await second.close();
    await holderExited;
    expect(waited).toBeGreaterThan(300); // It waited for the lock …
    expect(tables).toEqual([]); // … and then migrated and started.
  });
});
