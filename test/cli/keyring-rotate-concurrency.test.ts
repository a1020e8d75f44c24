/**
 * `charthero keyring rotate` run by several processes at once (CONTRACT.md section 10): every rotation adds exactly
 * one version, none is lost, no secret changes, and no lock or temporary file is left behind.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox, ensureBuilt, ROOT } from './cli.js';

let cli: CliSandbox;
beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox({ keyring: false });
});
afterAll(() => cli?.close());

interface Entry {
  version: number;
  secret: string;
}
const entriesOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { keys: Entry[] }).keys;

function runNode(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: cli.dir, env: { ...process.env, ...cli.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Keeps every old entry byte for byte, and adds versions 1…n with distinct secrets. */
function expectIntact(file: string, before: readonly Entry[], versions: number): void {
  const entries = entriesOf(file);
  expect(entries.map((entry) => entry.version)).toEqual(Array.from({ length: versions }, (_, i) => i + 1));
  expect(entries.slice(0, before.length)).toEqual(before);
  expect(new Set(entries.map((entry) => entry.secret)).size).toBe(versions);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  // No `<file>.lock` and no `<file>.<pid>.<random>.tmp` left behind.
  expect(readdirSync(dirname(file)).filter((name) => name.startsWith(`${basename(file)}.`))).toEqual([]);
}

describe('keyring rotate, concurrently', () => {
  it('two `charthero keyring rotate` processes at once, five times over: ten new versions', async () => {
    const file = join(cli.dir, 'race.json');
    cli.json(['keyring', 'create', file]);
    for (let round = 0; round < 5; round++) {
      const before = entriesOf(file);
      const bin = join(ROOT, 'bin', 'charthero.js');
      const results = await Promise.all([1, 2].map(() => runNode([bin, 'keyring', 'rotate', file, '--json'])));
      expect(results.map((result) => [result.code, result.stderr])).toEqual([
        [0, ''],
        [0, ''],
      ]);
      expect(results.map((result) => JSON.parse(result.stdout).newest_version).sort()).toEqual([
        before.length + 1,
        before.length + 2,
      ]);
      expectIntact(file, before, before.length + 2);
    }
  });

  it('three processes rotating in tight loops overlap for certain, and still lose nothing', async () => {
    const file = join(cli.dir, 'race-loop.json');
    cli.json(['keyring', 'create', file]);
    const before = entriesOf(file);
    const module = pathToFileURL(join(ROOT, 'dist', 'access', 'digest-keyring.js')).href;
    const script = `const { rotateKeyringFile } = await import(${JSON.stringify(module)});
      for (let i = 0; i < 40; i++) rotateKeyringFile(${JSON.stringify(file)});`;
    const results = await Promise.all([1, 2, 3].map(() => runNode(['--input-type=module', '-e', script])));
    expect(results.map((result) => [result.code, result.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    expectIntact(file, before, 121);
  });

  it('waits for a held lock, then gives up naming it, and leaves the keyring unchanged', () => {
    const file = join(cli.dir, 'race-locked.json');
    cli.json(['keyring', 'create', file]);
    const content = readFileSync(file, 'utf8');
    writeFileSync(`${file}.lock`, '1\n');
    const result = cli.run(['keyring', 'rotate', file]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `charthero: ${file}.lock is held by another rotation (remove it if none is running)\n`,
    });
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('creates the keyring folder for its owner only', () => {
    const file = join(cli.dir, 'race-new', 'nested', 'keys.json');
    cli.json(['keyring', 'create', file]);
    expect(statSync(join(cli.dir, 'race-new')).mode & 0o777).toBe(0o700);
    expect(statSync(join(cli.dir, 'race-new', 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
