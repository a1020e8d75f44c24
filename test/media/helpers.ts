import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keyring, KeyringEntry } from '../../src/access/digest-keyring.js';

export function keyringEntry(version: number): KeyringEntry {
  return { version, secret: randomBytes(32), createdAt: '2026-01-01T00:00:00Z' };
}

/** Newest first, as parseKeyring returns it. */
export function keyringOf(...entries: KeyringEntry[]): Keyring {
  return { entries: [...entries].sort((a, b) => b.version - a.version) };
}

export function temporaryFolder(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
