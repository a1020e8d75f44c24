import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey } from '../../src/access/key-format.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

const ALL_SCOPES = ['encounters:read', 'patients:read', 'documents:read', 'recordings:read'];

interface CreatedKey {
  id: string;
  secret: string;
  environment: string;
  organization_id: string | null;
  scopes: string[];
  name: string;
  expires_at: string | null;
  rate_limit_per_second: number | null;
}

let cli: CliSandbox;
const secrets: string[] = [];
beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  cli.json(['org', 'create', '--name', 'Acme', '--id', 'org_acme']);
});
afterAll(() => cli?.close());

function create(args: string[]): CreatedKey {
  const key = cli.json<CreatedKey>(['key', 'create', ...args]);
  secrets.push(key.secret);
  return key;
}

describe('charthero key create', () => {
  it('issues an org-scoped test key with every scope and prints the secret once', () => {
    const key = create(['--org', 'org_acme', '--scopes', 'all', '--name', 'partner A']);
    expect(key).toEqual({
      id: expect.stringMatching(/^key_[A-Za-z0-9_-]{16}$/),
      secret: expect.stringMatching(/^ch_sk_test_[0-9A-Za-z]{38}$/),
      environment: 'test',
      organization_id: 'org_acme',
      scopes: ALL_SCOPES,
      name: 'partner A',
      expires_at: null,
      rate_limit_per_second: null,
    });
    expect(parseKey(key.secret)).toEqual({ environment: 'test', displayPrefix: key.secret.slice(11, 15) });
  });

  it('takes scopes, expiry and rate limit; a key without --org is not org-scoped', () => {
    const key = create([
      '--scopes',
      'documents:read,encounters:read',
      '--expires-at',
      '2027-01-01T01:00:00+01:00',
      '--rate-limit',
      '0',
    ]);
    expect(key).toMatchObject({
      organization_id: null,
      scopes: ['encounters:read', 'documents:read'],
      expires_at: '2027-01-01T00:00:00Z',
      rate_limit_per_second: 0,
      name: '',
    });
  });

  it('accepts an expiry in the past (an already-expired key is a legitimate test fixture)', () => {
    expect(create(['--scopes', 'all', '--expires-at', '2020-01-01T00:00:00Z']).expires_at).toBe('2020-01-01T00:00:00Z');
  });

  it('prints the secret in plain output too, with a warning that it is shown once', () => {
    const result = cli.run(['key', 'create', '--org', 'org_acme', '--scopes', 'encounters:read', '--rate-limit', '5']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^created key_\S+ {2}ch_sk_test_[0-9A-Za-z]{4}… {2}active {2}org=org_acme {2}scopes=encounters:read /,
    );
    expect(lines[0]).toContain('rate_limit=5/s');
    expect(lines[1]).toMatch(/^secret \(shown once, store it now\): ch_sk_test_[0-9A-Za-z]{38}$/);
    secrets.push(lines[1]!.split(': ')[1]!);
  });

  it('issues live keys in production', () => {
    const key = cli.json<CreatedKey>(['key', 'create', '--scopes', 'all'], { CHARTHERO_ENVIRONMENT: 'production' });
    secrets.push(key.secret);
    expect(key.environment).toBe('live');
    expect(key.secret).toMatch(/^ch_sk_live_/);
  });
});

describe('charthero key list', () => {
  it('shows metadata and never a secret or a digest', async () => {
    const digests = await cli.withDb((db) => db.selectFrom('api_keys').select('digest').execute());
    for (const args of [
      ['key', 'list'],
      ['key', 'list', '--json'],
      ['key', 'list', '--org', 'org_acme'],
      ['key', 'list', '--org', 'org_acme', '--json'],
    ]) {
      const result = cli.run(args);
      expect(result.code).toBe(0);
      for (const secret of secrets) {
        expect(result.stdout).not.toContain(secret);
        // Not even the random body without its prefix.
        expect(result.stdout).not.toContain(secret.slice(11, 30));
      }
      for (const { digest } of digests) expect(result.stdout).not.toContain(digest);
    }
  });

  it('lists every key, or one organization’s', () => {
    const all = cli.json<{ keys: Record<string, unknown>[] }>(['key', 'list']);
    expect(all.keys).toHaveLength(secrets.length);
    expect(Object.keys(all.keys[0]!).sort()).toEqual(
      [
        'created_at',
        'display_prefix',
        'environment',
        'expires_at',
        'id',
        'last_used_at',
        'name',
        'organization_id',
        'rate_limit_per_second',
        'scopes',
        'status',
      ].sort(),
    );
    const acme = cli.json<{ keys: { organization_id: string }[] }>(['key', 'list', '--org', 'org_acme']);
    expect(acme.keys).toHaveLength(2);
    expect(acme.keys.every((key) => key.organization_id === 'org_acme')).toBe(true);
  });
});

describe('charthero key disable | enable | revoke', () => {
  it('disables, enables, and revokes for good', async () => {
    const key = create(['--org', 'org_acme', '--scopes', 'all']);
    expect(cli.json(['key', 'disable', key.id])).toMatchObject({ id: key.id, status: 'disabled' });
    expect(cli.json(['key', 'enable', key.id])).toMatchObject({ id: key.id, status: 'active' });
    const plain = cli.run(['key', 'revoke', key.id]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^revoked ${key.id} {2}ch_sk_test_[0-9A-Za-z]{4}… {2}revoked `));
    expect(plain.stdout).not.toContain(key.secret);

    for (const command of ['enable', 'disable']) {
      for (const json of [[], ['--json']]) {
        const refused = cli.run(['key', command, key.id, ...json]);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toBe(`charthero: key "${key.id}" is revoked; revocation is permanent\n`);
      }
    }
    // Revoking again is harmless.
    expect(cli.json(['key', 'revoke', key.id])).toMatchObject({ status: 'revoked' });
    const row = await cli.withDb((db) =>
      db.selectFrom('api_keys').select(['status', 'state_version']).where('id', '=', key.id).executeTakeFirstOrThrow(),
    );
    expect(row.status).toBe('revoked');
    expect(row.state_version).toBeGreaterThan(3);
  });
});

describe('errors', () => {
  const scopes = 'valid: encounters:read, patients:read, documents:read, recordings:read, or all';
  const cases: [string, string[], string][] = [
    [
      'unknown scope',
      ['key', 'create', '--scopes', 'encounters:read,encounters:write'],
      `unknown scope "encounters:write" (${scopes})`,
    ],
    ['empty scopes', ['key', 'create', '--scopes', ','], '--scopes must list at least one scope, or all'],
    [
      'unknown organization',
      ['key', 'create', '--org', 'org_nope', '--scopes', 'all'],
      'unknown organization "org_nope"',
    ],
    [
      'bad expiry (no offset)',
      ['key', 'create', '--scopes', 'all', '--expires-at', '2027-01-01T00:00:00'],
      '--expires-at must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got "2027-01-01T00:00:00")',
    ],
    [
      'impossible date',
      ['key', 'create', '--scopes', 'all', '--expires-at', '2027-02-30T00:00:00Z'],
      '--expires-at must be an RFC 3339 date-time with offset, such as 2026-12-31T23:59:59Z (got "2027-02-30T00:00:00Z")',
    ],
    [
      'negative rate limit',
      ['key', 'create', '--scopes', 'all', '--rate-limit', '-3'],
      '--rate-limit must be an integer from 0 to 1000000 (got "-3")',
    ],
    [
      'non-integer rate limit',
      ['key', 'create', '--scopes', 'all', '--rate-limit', '1e3'],
      '--rate-limit must be an integer from 0 to 1000000 (got "1e3")',
    ],
    ['unknown organization (list)', ['key', 'list', '--org', 'org_nope'], 'unknown organization "org_nope"'],
    ['unknown key (disable)', ['key', 'disable', 'key_nope'], 'unknown key "key_nope"'],
    ['unknown key (enable)', ['key', 'enable', 'key_nope'], 'unknown key "key_nope"'],
    ['unknown key (revoke)', ['key', 'revoke', 'key_nope'], 'unknown key "key_nope"'],
  ];
  for (const [name, args, message] of cases) {
    it(`${name} (with and without --json)`, () => {
      for (const variant of [args, [...args, '--json']]) {
        const result = cli.run(variant);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(`charthero: ${message}\n`);
      }
    });
  }

  it('names the keyring variable when the keyring file is missing', () => {
    const result = cli.run(['key', 'create', '--scopes', 'all', '--json'], {
      CHARTHERO_DIGEST_KEYS_FILE: `${cli.dir}/missing.json`,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `charthero: CHARTHERO_DIGEST_KEYS_FILE (${cli.dir}/missing.json): cannot read keyring file (ENOENT); create one with charthero keyring create <file>\n`,
    );
  });

  it('requires --scopes', () => {
    const result = cli.run(['key', 'create', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("charthero: required option '--scopes <scopes>' not specified\n");
  });
});
