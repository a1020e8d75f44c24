/**
 * The SQLite database holds PHI: the file (and its -wal and -shm) the store creates is mode 0600, and each folder it
 * creates 0700 (CONTRACT.md section 11), whatever the process umask — 0 (nothing masked, where SQLite alone would
 * give 0644) and the usual 022 both. Folders and files that already exist keep the modes their operator chose.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/db.js';
import { migrate } from '../../../src/store/migrate.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

describe('SQLite files the store creates', () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'charthero-modes-'));
    umask = process.umask();
  });
  afterEach(() => {
    process.umask(umask);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['000', '022'])('are owner-only under umask %s', async (mask) => {
    process.umask(Number.parseInt(mask, 8));
    const top = join(root, `umask-${mask}`);
    const path = join(top, 'nested', 'charthero.sqlite');
    const store = openStore(`sqlite:${path}`);
    try {
      await migrate(store); // Writes, so the -wal and -shm files exist.
      expect({
        top: mode(top),
        nested: mode(join(top, 'nested')),
        database: mode(path),
        wal: mode(`${path}-wal`),
        shm: mode(`${path}-shm`),
      }).toEqual({ top: '0700', nested: '0700', database: '0600', wal: '0600', shm: '0600' });
    } finally {
      await store.close();
    }
  });

  it('leave existing folders and files as they are', async () => {
    process.umask(0o022);
    const folder = join(root, 'existing');
    mkdirSync(folder, { mode: 0o750 });
    chmodSync(folder, 0o750);
    const path = join(folder, 'charthero.sqlite');
    writeFileSync(path, '', { mode: 0o640 });
    chmodSync(path, 0o640);
    const store = openStore(`sqlite:${path}`);
    try {
      await migrate(store);
      expect({ folder: mode(folder), database: mode(path) }).toEqual({ folder: '0750', database: '0640' });
    } finally {
      await store.close();
    }
  });
});
