import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

const ALL_ROUTES = ['list_encounters', 'get_encounter', 'get_document', 'get_transcript', 'get_audio_url'];

let cli: CliSandbox;
beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
});
afterAll(() => cli?.close());

describe('charthero org', () => {
  it('creates an organization closed by default, with --json and without', () => {
    const created = cli.json(['org', 'create', '--name', 'Acme Health', '--id', 'org_acme']);
    expect(created).toEqual({
      id: 'org_acme',
      name: 'Acme Health',
      allowlisted: false,
      api_keys_enabled: true,
      rate_limit_per_second: 0,
      enabled_routes: [],
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/),
    });

    const plain = cli.run(['org', 'create', '--name', 'Beta Clinic']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toMatch(
      /^created org_[A-Za-z0-9_-]{16} {2}"Beta Clinic" {2}allowlisted=no {2}api_keys=on {2}rate_limit=unlimited {2}routes=none\n$/,
    );
  });

  it('lists organizations', () => {
    const listed = cli.json<{ organizations: { id: string; name: string }[] }>(['org', 'list']);
    expect(listed.organizations.map((org) => org.name)).toEqual(['Acme Health', 'Beta Clinic']);
    const plain = cli.run(['org', 'list']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(plain.stdout).toContain('org_acme  "Acme Health"');
  });

  it('allowlists and removes from the allowlist', () => {
    expect(cli.json(['org', 'allowlist', 'org_acme'])).toMatchObject({ id: 'org_acme', allowlisted: true });
    expect(cli.json(['org', 'allowlist', 'org_acme', '--off'])).toMatchObject({ allowlisted: false });
    const plain = cli.run(['org', 'allowlist', 'org_acme']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^updated org_acme {2}"Acme Health" {2}allowlisted=yes /);
  });

  it('enables and disables routes, keeping route-table order', () => {
    expect(cli.json(['org', 'routes', 'org_acme', '--enable', 'get_document,list_encounters'])).toMatchObject({
      enabled_routes: ['list_encounters', 'get_document'],
    });
    expect(cli.json(['org', 'routes', 'org_acme', '--enable', 'all'])).toMatchObject({ enabled_routes: ALL_ROUTES });
    expect(cli.json(['org', 'routes', 'org_acme', '--disable', 'get_audio_url, get_transcript'])).toMatchObject({
      enabled_routes: ['list_encounters', 'get_encounter', 'get_document'],
    });
    const plain = cli.run(['org', 'routes', 'org_acme', '--enable', 'get_audio_url']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('routes=list_encounters,get_encounter,get_document,get_audio_url');
  });

  it('switches API keys off and on, and sets the organization rate limit', () => {
    expect(cli.json(['org', 'api-keys', 'org_acme', '--off'])).toMatchObject({ api_keys_enabled: false });
    expect(cli.json(['org', 'api-keys', 'org_acme', '--on'])).toMatchObject({ api_keys_enabled: true });
    expect(cli.json(['org', 'rate-limit', 'org_acme', '25'])).toMatchObject({ rate_limit_per_second: 25 });
    const plain = cli.run(['org', 'rate-limit', 'org_acme', '0']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('rate_limit=unlimited');
  });

  it('bumps the state version and writes the change feed on every change', async () => {
    const before = await cli.withDb((db) =>
      db.selectFrom('organizations').select('state_version').where('id', '=', 'org_acme').executeTakeFirstOrThrow(),
    );
    const feedBefore = await cli.withDb((db) =>
      db.selectFrom('change_feed').selectAll().where('entity_id', '=', 'org_acme').execute(),
    );
    cli.json(['org', 'rate-limit', 'org_acme', '7']);
    const after = await cli.withDb((db) =>
      db.selectFrom('organizations').select('state_version').where('id', '=', 'org_acme').executeTakeFirstOrThrow(),
    );
    const feedAfter = await cli.withDb((db) =>
      db.selectFrom('change_feed').selectAll().where('entity_id', '=', 'org_acme').execute(),
    );
    expect(after.state_version).toBe(before.state_version + 1);
    expect(feedAfter.length).toBe(feedBefore.length + 1);
  });

  describe('errors: one line on stderr, non-zero exit, nothing on stdout', () => {
    const cases: [string, string[], number, string][] = [
      ['unknown organization', ['org', 'allowlist', 'org_nope'], 1, 'charthero: unknown organization "org_nope"'],
      [
        'unknown organization (routes)',
        ['org', 'routes', 'org_nope', '--enable', 'all'],
        1,
        'charthero: unknown organization "org_nope"',
      ],
      [
        'unknown route id',
        ['org', 'routes', 'org_acme', '--enable', 'list_encounters,get_everything'],
        1,
        'charthero: unknown route id "get_everything" (valid: list_encounters, get_encounter, get_document, get_transcript, get_audio_url, or all)',
      ],
      [
        'both --enable and --disable',
        ['org', 'routes', 'org_acme', '--enable', 'all', '--disable', 'all'],
        1,
        'charthero: give exactly one of --enable or --disable',
      ],
      ['neither --on nor --off', ['org', 'api-keys', 'org_acme'], 1, 'charthero: give exactly one of --on or --off'],
      [
        'negative rate limit',
        ['org', 'rate-limit', 'org_acme', '-1'],
        1,
        'charthero: rate limit must be an integer from 0 to 1000000 (got "-1")',
      ],
      [
        'fractional rate limit',
        ['org', 'rate-limit', 'org_acme', '2.5'],
        1,
        'charthero: rate limit must be an integer from 0 to 1000000 (got "2.5")',
      ],
      [
        'duplicate id',
        ['org', 'create', '--name', 'Again', '--id', 'org_acme'],
        1,
        'charthero: organization "org_acme" already exists',
      ],
      [
        'bad id',
        ['org', 'create', '--name', 'X', '--id', '../etc'],
        1,
        'charthero: --id must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", starting with a letter or digit',
      ],
      ['empty name', ['org', 'create', '--name', ' '], 1, 'charthero: --name must not be empty'],
      ['missing --name', ['org', 'create'], 2, "charthero: required option '--name <name>' not specified"],
      ['missing subcommand', ['org'], 2, 'charthero: missing command for "org" (see charthero org --help)'],
      [
        'unknown subcommand',
        ['org', 'delete'],
        2,
        'charthero: unknown command "org delete" (see charthero org --help)',
      ],
      ['unknown command', ['frobnicate'], 2, "charthero: unknown command 'frobnicate'"],
      ['unknown option', ['org', 'list', '--verbose'], 2, "charthero: unknown option '--verbose'"],
    ];
    for (const [name, args, code, message] of cases) {
      it(`${name} (with and without --json)`, () => {
        for (const variant of [args, [...args, '--json']]) {
          const result = cli.run(variant);
          expect(result.code).toBe(code);
          expect(result.stdout).toBe('');
          expect(result.stderr).toBe(`${message}\n`);
        }
      });
    }
  });

  it('names the variable when the configuration is bad', () => {
    const result = cli.run(['org', 'list'], { CHARTHERO_DATABASE_URL: 'mysql://localhost/x' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('charthero: CHARTHERO_DATABASE_URL: must be sqlite:<path> or postgres://…\n');
    const env = cli.run(['org', 'list', '--json'], { CHARTHERO_ENVIRONMENT: 'staging' });
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/^charthero: CHARTHERO_ENVIRONMENT: [^\n]+\n$/);
  });
});
