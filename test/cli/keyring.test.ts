import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/contract/openapi.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let cli: CliSandbox;
beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox({ keyring: false });
});
afterAll(() => cli?.close());

const secretsOf = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { keys: { version: number; secret: string }[] }).keys;

describe('charthero keyring', () => {
  it('creates a private keyring file with one version and never prints the secret', () => {
    const file = join(cli.dir, 'one.json');
    expect(cli.json(['keyring', 'create', file])).toEqual({ file, newest_version: 1, versions: [1] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [entry] = secretsOf(file);
    expect(Buffer.from(entry!.secret, 'base64').length).toBeGreaterThanOrEqual(32);

    const plain = cli.run(['keyring', 'create', join(cli.dir, 'two.json')]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`created ${join(cli.dir, 'two.json')} (version 1, mode 600)\n`);
    expect(plain.stdout).not.toContain(secretsOf(join(cli.dir, 'two.json'))[0]!.secret);
  });

  it('refuses to overwrite an existing file', () => {
    const file = join(cli.dir, 'one.json');
    const before = readFileSync(file, 'utf8');
    for (const json of [[], ['--json']]) {
      const result = cli.run(['keyring', 'create', file, ...json]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`charthero: ${file} already exists\n`);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('rotates: a new newest version, older ones kept unchanged', () => {
    const file = join(cli.dir, 'one.json');
    const [original] = secretsOf(file);
    expect(cli.json(['keyring', 'rotate', file])).toEqual({ file, newest_version: 2, versions: [1, 2] });
    const plain = cli.run(['keyring', 'rotate', file]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`rotated ${file}: new keys use version 3; versions 1, 2, 3 verify\n`);
    const entries = secretsOf(file);
    expect(entries.map((entry) => entry.version)).toEqual([1, 2, 3]);
    expect(entries[0]).toEqual(original);
    expect(new Set(entries.map((entry) => entry.secret)).size).toBe(3);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const entry of entries) expect(plain.stdout).not.toContain(entry.secret);
  });

  it('names the file when rotation cannot read it', () => {
    const missing = join(cli.dir, 'missing.json');
    const result = cli.run(['keyring', 'rotate', missing, '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`charthero: ${missing}: cannot read keyring file (ENOENT)\n`);

    const broken = join(cli.dir, 'broken.json');
    writeFileSync(broken, '{"keys": []}');
    const invalid = cli.run(['keyring', 'rotate', broken]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe(`charthero: ${broken}: keyring has no "keys" array\n`);
  });
});

describe('charthero migrate', () => {
  it('creates the schema, then reports it up to date', () => {
    expect(cli.json(['migrate'])).toEqual({
      applied: [
        '001-initial',
        '002-audit-ledger',
        '003-webhooks',
        '004-stored-turns',
        '005-encounter-items',
        '006-audit-without-organization-index',
      ],
    });
    expect(cli.json(['migrate'])).toEqual({ applied: [] });
    const plain = cli.run(['migrate']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('database schema is up to date\n');
  });

  it('fails with one line when the database cannot be opened', () => {
    const result = cli.run(['migrate', '--json'], { CHARTHERO_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^charthero: [^\n]+\n$/);
  });
});

describe('charthero openapi', () => {
  it('prints the document the server publishes', () => {
    // Symbol-keyed TypeBox markers do not survive JSON, and are not part of the document.
    const expected = JSON.parse(JSON.stringify(buildOpenApiDocument()));
    expect(cli.json(['openapi'])).toEqual(expected);
    const plain = cli.run(['openapi']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('writes it to a file', () => {
    const file = join(cli.dir, 'openapi.json');
    expect(cli.json(['openapi', '--write', file])).toEqual({ file });
    expect(readFileSync(file, 'utf8')).toBe(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
    const plain = cli.run(['openapi', '--write', file]);
    expect(plain.stdout).toBe(`wrote ${file}\n`);
  });

  it('reports a write failure in one line', () => {
    const result = cli.run(['openapi', '--write', join(cli.dir, 'no', 'such', 'dir.json')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^charthero: ENOENT[^\n]*\n$/);
  });
});

describe('charthero --help', () => {
  it('lists every command group', () => {
    const result = cli.run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['migrate', 'serve', 'org', 'key', 'keyring', 'import', 'seed', 'audit', 'openapi']) {
      expect(result.stdout).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
    }
  });
});
