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

/** A mode as a test name shows it (`0640`), with the mode. */
const octal = (mode: number): [string, number] => [`0${mode.toString(8)}`, mode];

const REFUSED = 'keyring file must not be readable by group or others (chmod 600)';

describe('readKeyringFile: the permission mask', () => {
  it.each([0o600, 0o400, 0o700, 0o200].map(octal))('accepts mode %s when the file must be private', (_octal, mode) => {
    chmodSync(file, mode);
    expect(readKeyringFile(file, { requirePrivate: true }).entries.map((entry) => entry.version)).toEqual(versions);
  });

  it.each([
    ['world-readable only', ...octal(0o604)],
    ['world-writable only', ...octal(0o602)],
    ['world-executable only', ...octal(0o601)],
    ['group-readable only', ...octal(0o640)],
    ['group-writable only', ...octal(0o620)],
    ['group-executable only', ...octal(0o610)],
    ['readable by everyone', ...octal(0o644)],
    ['everything to everyone', ...octal(0o777)],
  ])('refuses a file that is %s (mode %s) when it must be private', (_name, _octal, mode) => {
    chmodSync(file, mode);
    expect(() => readKeyringFile(file, { requirePrivate: true })).toThrow(REFUSED);
  });

  it.each([0o644, 0o604, 0o640].map(octal))('reads mode %s when privacy is not required (sandbox)', (_octal, mode) => {
    chmodSync(file, mode);
    expect(readKeyringFile(file, { requirePrivate: false }).entries.map((entry) => entry.version)).toEqual(versions);
  });
});
