/**
 * `charthero webhook …` (CONTRACT.md section 12.4) through the real binary: every command with --json, the secret
 * shown once (add, rotate-secret) and never again, URL rules (https only in production, no user-info), the
 * delivery log with its filters, replays (new delivery id, same event), and one-line errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyTranscriptLines, writeNdjson } from '../webhooks/support/fixtures.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

let cli: CliSandbox;

interface Added {
  id: string;
  secret: string;
  url: string;
  status: string;
}
interface Delivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
}

const PRODUCTION = { CHARTHERO_ENVIRONMENT: 'production' };

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  cli.json(['org', 'create', '--name', 'Hooks', '--id', 'org_cli']);
  cli.json(['org', 'allowlist', 'org_cli']);
}, 60_000);
afterAll(() => cli?.close());

function expectError(args: string[], message: string, env?: Record<string, string>) {
  const result = cli.run(args, env);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(`charthero: ${message}\n`);
}

// Each test spawns several CLI processes (about a second each, several under load).
describe('charthero webhook add', { timeout: 120_000 }, () => {
  it('prints the secret once; list never shows it', () => {
    const added = cli.json<Added>(['webhook', 'add', 'org_cli', '--url', 'https://partner.example/hooks?x=1']);
    expect(added).toMatchObject({
      url: 'https://partner.example/hooks?x=1',
      status: 'enabled',
      organization_id: 'org_cli',
    });
    const list = cli.run(['webhook', 'list', '--json']);
    expect(list.stdout).toContain(added.id);
    expect(list.stdout).not.toContain(added.secret);
    expect(list.stdout).not.toContain('whsec_');
    const text = cli.run(['webhook', 'add', 'org_cli', '--url', 'https://partner.example/two']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^added whe_[0-9A-Za-z]{24} {2}enabled {2}org=org_cli {2}https:\/\/partner\.example\/two\nsecret \(shown once, store it now\): whsec_[0-9A-Za-z]{32}\n$/,
    );
  });

  it('accepts http:// in a sandbox, refuses it in production', () => {
    expect(cli.json<Added>(['webhook', 'add', 'org_cli', '--url', 'http://127.0.0.1:9/hook']).status).toBe('enabled');
    expectError(
      ['webhook', 'add', 'org_cli', '--url', 'http://partner.example/hook'],
      '--url must be an https:// URL (a production deployment refuses http://)',
      PRODUCTION,
    );
    expect(
      cli.json<Added>(['webhook', 'add', 'org_cli', '--url', 'https://partner.example/p'], PRODUCTION).status,
    ).toBe('enabled');
  });

  it.each([
    ['https://user:pass@partner.example/hook', '--url must not contain user-info (user:password@)'],
    ['https://user@partner.example/hook', '--url must not contain user-info (user:password@)'],
    ['https://partner.example/hook#frag', '--url must not contain a fragment (#…)'],
    ['/relative', '--url must be an absolute URL'],
    ['ftp://partner.example/hook', '--url must be an https:// or http:// URL'],
    [`https://partner.example/${'a'.repeat(2048)}`, '--url must be at most 2048 characters'],
  ])('refuses %s', (url, message) => {
    expectError(['webhook', 'add', 'org_cli', '--url', url], message);
  });

  it('refuses an unknown organization', () => {
    expectError(
      ['webhook', 'add', 'org_nope', '--url', 'https://partner.example/hook'],
      'unknown organization "org_nope"',
    );
  });
});

describe('endpoint lifecycle and deliveries', { timeout: 120_000 }, () => {
  let endpoint: Added;
  let deliveries: Delivery[];

  beforeAll(() => {
    cli.run(['org', 'allowlist', 'org_cli', '--off']);
    cli.json(['org', 'create', '--name', 'Life', '--id', 'org_life']);
    cli.json(['org', 'allowlist', 'org_life']);
    endpoint = cli.json<Added>(['webhook', 'add', 'org_life', '--url', 'https://life.example/hook']);
    cli.json(['import', writeNdjson(cli.dir, 'life.ndjson', readyTranscriptLines('org_life', 3, 'life'))]);
    deliveries = cli.json<{ deliveries: Delivery[] }>(['webhook', 'deliveries', '--endpoint', endpoint.id]).deliveries;
  }, 120_000);

  it('lists one pending delivery per event, with its next attempt time', () => {
    expect(deliveries).toHaveLength(3);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ endpoint_id: endpoint.id, status: 'pending', attempts: 0 });
      expect(delivery.next_attempt_at).toEqual(expect.any(String));
    }
    expect(cli.json<{ deliveries: Delivery[] }>(['webhook', 'deliveries', '--status', 'delivered']).deliveries).toEqual(
      [],
    );
    expect(cli.json<{ deliveries: Delivery[] }>(['webhook', 'deliveries', '--limit', '2']).deliveries).toHaveLength(2);
    expectError(
      ['webhook', 'deliveries', '--status', 'lost'],
      '--status must be one of pending, delivered, failed (got "lost")',
    );
    expectError(['webhook', 'deliveries', '--limit', '0'], '--limit must be an integer from 1 to 1000 (got "0")');
    expectError(['webhook', 'deliveries', '--endpoint', 'whe_nope'], 'unknown webhook endpoint "whe_nope"');
  });

  it('disable and enable report the endpoint with its new status', () => {
    const disabled = cli.json<{ id: string; status: string; consecutive_failures: number }>([
      'webhook',
      'disable',
      endpoint.id,
    ]);
    expect(disabled).toMatchObject({
      id: endpoint.id,
      status: 'disabled',
      consecutive_failures: 0,
      last_delivery: null,
    });
    expect(cli.json<{ status: string }>(['webhook', 'enable', endpoint.id]).status).toBe('enabled');
    expectError(['webhook', 'disable', 'whe_nope'], 'unknown webhook endpoint "whe_nope"');
  });

  it('rotate-secret prints a new secret once, with the overlap end', () => {
    const before = Date.now();
    const rotated = cli.json<{ id: string; secret: string; previous_secret_valid_until: string }>([
      'webhook',
      'rotate-secret',
      endpoint.id,
      '--overlap-hours',
      '2',
    ]);
    expect(rotated.secret).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const until = Date.parse(rotated.previous_secret_valid_until);
    expect(until).toBeGreaterThanOrEqual(before + 2 * 3_600_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);
    const listed = cli.json<{ endpoints: { id: string; previous_secret_valid_until: string | null }[] }>([
      'webhook',
      'list',
      '--org',
      'org_life',
    ]);
    expect(listed.endpoints[0]!.previous_secret_valid_until).toBe(rotated.previous_secret_valid_until);
    expect(cli.json(['webhook', 'rotate-secret', endpoint.id, '--overlap-hours', '0'])).toMatchObject({
      previous_secret_valid_until: null,
    });
    expectError(
      ['webhook', 'rotate-secret', endpoint.id, '--overlap-hours', '721'],
      '--overlap-hours must be an integer from 0 to 720 (got "721")',
    );
  });

  it('replay queues a new delivery of the same event, by delivery or by endpoint and time', () => {
    const original = deliveries[0]!;
    const replayed = cli.json<{ deliveries: { id: string; event_id: string; endpoint_id: string }[] }>([
      'webhook',
      'replay',
      original.id,
    ]);
    expect(replayed.deliveries).toHaveLength(1);
    expect(replayed.deliveries[0]).toStrictEqual({
      id: expect.stringMatching(/^whd_/),
      event_id: original.event_id,
      endpoint_id: endpoint.id,
    });
    expect(replayed.deliveries[0]!.id).not.toBe(original.id);
    const all = cli.json<{ deliveries: { event_id: string }[] }>([
      'webhook',
      'replay',
      '--endpoint',
      endpoint.id,
      '--since',
      '2000-01-01T00:00:00Z',
    ]);
    expect(new Set(all.deliveries.map((d) => d.event_id))).toStrictEqual(new Set(deliveries.map((d) => d.event_id)));
    expect(
      cli.json<{ deliveries: unknown[] }>([
        'webhook',
        'replay',
        '--endpoint',
        endpoint.id,
        '--since',
        '2999-01-01T00:00:00Z',
      ]).deliveries,
    ).toEqual([]);
    expectError(['webhook', 'replay', 'whd_nope'], 'unknown delivery "whd_nope"');
    expectError(['webhook', 'replay'], 'give a delivery id, or --endpoint with --since');
    expectError(['webhook', 'replay', '--endpoint', endpoint.id], 'give a delivery id, or --endpoint with --since');
    expectError(
      ['webhook', 'replay', original.id, '--endpoint', endpoint.id],
      'give either a delivery id, or --endpoint with --since, not both',
    );
    expect(
      cli.json<{ deliveries: unknown[] }>(['webhook', 'deliveries', '--endpoint', endpoint.id]).deliveries,
    ).toHaveLength(7);
  });

  it('remove deletes the endpoint and its deliveries', () => {
    expect(cli.json(['webhook', 'remove', endpoint.id])).toStrictEqual({ id: endpoint.id, removed: true });
    expect(cli.json<{ endpoints: unknown[] }>(['webhook', 'list', '--org', 'org_life']).endpoints).toEqual([]);
    expect(
      cli
        .json<{ deliveries: Delivery[] }>(['webhook', 'deliveries'])
        .deliveries.some((d) => d.endpoint_id === endpoint.id),
    ).toBe(false);
    expectError(['webhook', 'remove', endpoint.id], `unknown webhook endpoint "${endpoint.id}"`);
  });
});
