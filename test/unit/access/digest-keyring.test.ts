/** CONTRACT.md section 9: in production the keyring file must be private to its owner (no group or other bits). */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringFile, readKeyringFile } from '../../../src/access/digest-keyring.js';

let dir: string;
let file: string;
let versions: number[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'charthero-keyring-'));
  file = join(dir, 'digest-keys.json');
  versions = createKeyringFile(file).entries.map((entry) => entry.version);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REFUSED = 'keyring file must not be readable by group or others (chmod 600)';

describe('readKeyringFile: the permission mask', () => {
  it.each([0o600, 0o400, 0o700, 0o200])('accepts mode %o when the file must be private', (mode) => {
    chmodSync(file, mode);
    expect(readKeyringFile(file, { requirePrivate: true }).entries.map((entry) => entry.version)).toEqual(versions);
  });

  it.each([
    ['world-readable only', 0o604],
    ['world-writable only', 0o602],
    ['world-executable only', 0o601],
    ['group-readable only', 0o640],
    ['group-writable only', 0o620],
    ['group-executable only', 0o610],
    ['readable by everyone', 0o644],
    ['everything to everyone', 0o777],
  ])('refuses a file that is %s (mode %o) when it must be private', (_name, mode) => {
    chmodSync(file, mode);
    expect(() => readKeyringFile(file, { requirePrivate: true })).toThrow(REFUSED);
  });

  it.each([0o644, 0o604, 0o640])('reads mode %o when privacy is not required (sandbox)', (mode) => {
    chmodSync(file, mode);
    expect(readKeyringFile(file, { requirePrivate: false }).entries.map((entry) => entry.version)).toEqual(versions);
  });
});
