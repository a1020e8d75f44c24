/**
 * The operator CLI drives a running server: every key lifecycle step (create, use, disable, enable, revoke,
 * expire), every organization switch (allowlist, routes, API keys, rate limit) and per-key rate limits, each done
 * with the real `charthero` binary against a real `charthero serve` process and observed only through HTTP.
 * CONTRACT.md section 3.2: a change must be visible within 1 second of the CLI command returning, so every step
 * polls for at most 1 s and then asserts the whole response (status, error body, headers).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch, type Headers } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServedProcess, serve, tinyWav } from '../blackbox/serve.js';
import { type CliSandbox, cliSandbox, ensureBuilt } from './cli.js';

const ORG = 'org_life';
const ENC = 'enc_life_1';
const NOTE = 'doc_life_note';
const AMBIENT = 'doc_life_amb';
const WAV = tinyWav(1200);
const PROPAGATION_MS = 1000;

const RECORDS = [
  { type: 'organization', id: ORG, name: 'Lifecycle Clinic' },
  {
    type: 'patient',
    id: 'pat_life',
    organization_id: ORG,
    first_name: 'Ada',
    last_name: 'Sample',
    date_of_birth: '1970-01-01',
  },
  {
    type: 'encounter',
    id: ENC,
    organization_id: ORG,
    patient_id: 'pat_life',
    encounter_type: 'ambient',
    status: 'completed',
    origin: 'clinical',
    available: true,
    created_at: '2026-05-25T14:00:00Z',
    updated_at: '2026-05-25T15:00:00Z',
    date_of_service: '2026-05-25T13:30:00Z',
  },
  {
    type: 'document',
    id: NOTE,
    encounter_id: ENC,
    schema_type: 'document',
    title: 'SOAP note',
    status: 'signed',
    workflow_variant: 'soap',
    available: true,
    content: { format: 'markdown', text: '# Note\n\nAll well.' },
    created_at: '2026-05-25T14:05:00Z',
    updated_at: '2026-05-25T14:05:00Z',
  },
  {
    type: 'document',
    id: AMBIENT,
    encounter_id: ENC,
    schema_type: 'ambient_transcript',
    title: 'Ambient transcript',
    status: 'finalized',
    audio_duration_seconds: 4.5,
    available: true,
    created_at: '2026-05-25T14:01:00Z',
    updated_at: '2026-05-25T14:01:00Z',
  },
  {
    type: 'transcript',
    document_id: AMBIENT,
    provider: 'deepgram',
    audio_duration_seconds: 4.5,
    finalized_at: '2026-05-25T15:00:00Z',
    turns: [
      { speaker: 'clinician', start: 0, end: 1.6, text: 'Good morning.' },
      { speaker: 'patient', start: 1.8, end: 3, text: 'Morning.' },
    ],
  },
  { type: 'recording', document_id: AMBIENT, file: 'audio/visit.wav', content_type: 'audio/wav' },
];

const PATHS = {
  list_encounters: '/external/v1/encounters',
  get_encounter: `/external/v1/encounters/${ENC}`,
  get_document: `/external/v1/encounters/${ENC}/documents/${NOTE}`,
  get_transcript: `/external/v1/encounters/${ENC}/documents/${AMBIENT}/transcript`,
  get_audio_url: `/external/v1/encounters/${ENC}/documents/${AMBIENT}/audio`,
} as const;
type RouteId = keyof typeof PATHS;

const ERRORS: Record<string, { status: number; error: string }> = {
  revoked_key: { status: 401, error: 'api_key_unauthorized' },
  disabled_key: { status: 401, error: 'api_key_unauthorized' },
  expired_key: { status: 401, error: 'api_key_unauthorized' },
  api_keys_disabled: { status: 401, error: 'api_key_unauthorized' },
  organization_not_allowlisted: { status: 403, error: 'api_key_forbidden' },
  org_scope_only_required: { status: 403, error: 'api_key_forbidden' },
  route_not_allowed: { status: 403, error: 'api_key_forbidden' },
  missing_scope: { status: 403, error: 'api_key_forbidden' },
  rate_limited: { status: 429, error: 'public_api_rate_limited' },
};

interface Observed {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

let cli: CliSandbox;
let server: ServedProcess;
const secrets: string[] = [];

/**
 * The server closes a connection after 5 s idle (docs/limits.md), and the expiry step waits 4–5 s between two
 * requests: a client that reuses a connection right at that edge sees "other side closed". Connections idle for
 * more than 1 s are not reused, so every step tests the server and not that race.
 */
const dispatcher = new Agent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });

async function call(route: RouteId, secret: string): Promise<Observed> {
  const response = await fetch(server.url + PATHS[route], {
    headers: { authorization: `Bearer ${secret}` },
    dispatcher,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** The reason code of a response, or 'ok' for a 2xx. */
const outcome = (observed: Observed) =>
  observed.status < 300 ? 'ok' : ((observed.body.reason_code as string | undefined) ?? `status ${observed.status}`);

/** Asserts a contract error response in full. */
function expectError(observed: Observed, reason: string): void {
  const spec = ERRORS[reason]!;
  expect({ status: observed.status, body: observed.body }).toEqual({
    status: spec.status,
    body: { error: spec.error, reason_code: reason, message: expect.any(String), field: null },
  });
  expect((observed.body.message as string).length).toBeGreaterThan(0);
  // No key material or internal ids in an error body.
  expect(observed.body.message).not.toMatch(/ch_sk_|\bkey_|\borg_|\benc_|\bdoc_/);
  expect(observed.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(observed.headers.get('cache-control')).toBe('no-store');
  expect(observed.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
  expect(observed.headers.get('www-authenticate')).toBe(
    spec.status === 401 ? 'Bearer realm="charthero", error="invalid_token"' : null,
  );
  if (spec.status === 429) {
    expect(observed.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(observed.headers.get('ratelimit-policy')).not.toBeNull();
    expect(observed.headers.get('ratelimit')).not.toBeNull();
  }
}

function expectOk(observed: Observed, route: RouteId): void {
  expect({ status: observed.status, reason: observed.body.reason_code }).toEqual({ status: 200, reason: undefined });
  expect(observed.headers.get('cache-control')).toBe('no-store');
  expect(observed.headers.get('ratelimit-policy')).not.toBeNull();
  const shapes: Record<RouteId, string[]> = {
    list_encounters: ['has_more', 'items', 'limit', 'next_offset', 'offset', 'sort_order'],
    get_encounter: ['encounter'],
    get_document: ['document'],
    get_transcript: ['document_id', 'encounter_id', 'transcript'],
    get_audio_url: ['audio_url', 'expires_at'],
  };
  expect(Object.keys(observed.body).sort()).toEqual(shapes[route]);
}

/**
 * Polls `route` with `secret` until it gives `expected` ('ok' or a reason code), for at most 1 s counted from
 * `sinceMs` (when the CLI command returned), then asserts the whole response.
 */
async function observeWithin(route: RouteId, secret: string, expected: string, sinceMs: number): Promise<Observed> {
  // A request sent within the window counts even if its answer arrives a little later (a loaded machine).
  let sentAt = performance.now();
  let observed = await call(route, secret);
  while (outcome(observed) !== expected && performance.now() - sinceMs < PROPAGATION_MS) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    sentAt = performance.now();
    observed = await call(route, secret);
  }
  const elapsed = sentAt - sinceMs;
  expect(outcome(observed), `${route}, sent ${elapsed.toFixed(0)} ms after the command returned`).toBe(expected);
  expect(elapsed).toBeLessThanOrEqual(PROPAGATION_MS);
  if (expected === 'ok') expectOk(observed, route);
  else expectError(observed, expected);
  return observed;
}

/** Runs a CLI command (expects exit 0) and returns the moment it returned. */
function command(args: readonly string[]): number {
  const result = cli.run(args);
  expect(result.code, `charthero ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return performance.now();
}

function createKey(args: readonly string[]): { id: string; secret: string } {
  const key = cli.json<{ id: string; secret: string; scopes: string[] }>(['key', 'create', ...args]);
  expect(key.id).toMatch(/^key_/);
  expect(key.secret).toMatch(/^ch_sk_test_[0-9A-Za-z]{38}$/);
  secrets.push(key.secret);
  return key;
}

let main: { id: string; secret: string };

beforeAll(async () => {
  ensureBuilt();
  cli = await cliSandbox();
  const folder = join(cli.dir, 'import');
  mkdirSync(join(folder, 'audio'), { recursive: true });
  writeFileSync(join(folder, 'audio', 'visit.wav'), WAV);
  writeFileSync(join(folder, 'life.ndjson'), `${RECORDS.map((record) => JSON.stringify(record)).join('\n')}\n`);
  // The server runs first: everything after this is done to a live process, never by restarting it.
  server = await serve({ cwd: cli.dir, env: { ...cli.env } });
  const imported = cli.json<Record<string, number>>(['import', join(folder, 'life.ndjson')]);
  expect(imported).toMatchObject({ organizations: 1, encounters: 1, documents: 2, transcripts: 1, recordings: 1 });
}, 60_000);

afterAll(async () => {
  await dispatcher.close();
  await server?.stop();
  await cli?.close();
});

describe('charthero CLI → running server, observed over HTTP within 1 s', () => {
  it('an imported organization starts closed: organization_not_allowlisted', async () => {
    const orgs = cli.json<{ organizations: Array<{ id: string; allowlisted: boolean; enabled_routes: string[] }> }>([
      'org',
      'list',
    ]);
    expect(orgs.organizations.find((org) => org.id === ORG)).toMatchObject({ allowlisted: false, enabled_routes: [] });
    main = createKey(['--org', ORG, '--scopes', 'all', '--name', 'lifecycle main']);
    await observeWithin('list_encounters', main.secret, 'organization_not_allowlisted', command(['org', 'list']));
  });

  it('org allowlist → route_not_allowed; org routes --enable list_encounters → 200 on that route only', async () => {
    await observeWithin('list_encounters', main.secret, 'route_not_allowed', command(['org', 'allowlist', ORG]));
    const since = command(['org', 'routes', ORG, '--enable', 'list_encounters']);
    const list = await observeWithin('list_encounters', main.secret, 'ok', since);
    expect((list.body.items as Array<{ encounter_id: string }>).map((item) => item.encounter_id)).toEqual([ENC]);
    await observeWithin('get_encounter', main.secret, 'route_not_allowed', since);
  });

  it('org routes --enable all → every route 200, and the audio URL serves the imported WAV', async () => {
    const since = command(['org', 'routes', ORG, '--enable', 'all']);
    for (const route of Object.keys(PATHS) as RouteId[]) await observeWithin(route, main.secret, 'ok', since);
    const audio = await call('get_audio_url', main.secret);
    const url = audio.body.audio_url as string;
    expect(url.startsWith(`${server.url}/`)).toBe(true);
    const media = await fetch(url);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await media.arrayBuffer())).toEqual(WAV);
    const transcript = await call('get_transcript', main.secret);
    expect(transcript.body).toEqual({
      encounter_id: ENC,
      document_id: AMBIENT,
      transcript: {
        provider: 'deepgram',
        audio_duration_seconds: 4.5,
        turns: [
          { speaker: 'clinician', start: 0, end: 1.6, text: 'Good morning.' },
          { speaker: 'patient', start: 1.8, end: 3, text: 'Morning.' },
        ],
      },
    });
  });

  it('org routes --disable get_transcript → route_not_allowed on that route only', async () => {
    const since = command(['org', 'routes', ORG, '--disable', 'get_transcript']);
    await observeWithin('get_transcript', main.secret, 'route_not_allowed', since);
    for (const route of ['list_encounters', 'get_encounter', 'get_document', 'get_audio_url'] as const) {
      expectOk(await call(route, main.secret), route);
    }
    await observeWithin(
      'get_transcript',
      main.secret,
      'ok',
      command(['org', 'routes', ORG, '--enable', 'get_transcript']),
    );
  });

  it('org api-keys --off → 401 api_keys_disabled; --on → 200', async () => {
    await observeWithin('get_document', main.secret, 'api_keys_disabled', command(['org', 'api-keys', ORG, '--off']));
    await observeWithin('get_document', main.secret, 'ok', command(['org', 'api-keys', ORG, '--on']));
  });

  it('org allowlist --off → organization_not_allowlisted; allowlist again → 200', async () => {
    const off = command(['org', 'allowlist', ORG, '--off']);
    await observeWithin('get_encounter', main.secret, 'organization_not_allowlisted', off);
    await observeWithin('get_encounter', main.secret, 'ok', command(['org', 'allowlist', ORG]));
  });

  it('key disable → 401 disabled_key; key enable → 200', async () => {
    await observeWithin('list_encounters', main.secret, 'disabled_key', command(['key', 'disable', main.id]));
    await observeWithin('list_encounters', main.secret, 'ok', command(['key', 'enable', main.id]));
  });

  it('key revoke → 401 revoked_key; key enable afterwards fails with one line and a non-zero exit', async () => {
    await observeWithin('get_encounter', main.secret, 'revoked_key', command(['key', 'revoke', main.id]));
    const enable = cli.run(['key', 'enable', main.id]);
    expect(enable.code).not.toBe(0);
    expect(enable.stdout).toBe('');
    expect(enable.stderr).toMatch(/^charthero: [^\n]+\n$/);
    expect(enable.stderr).toContain('revoked');
    const enableJson = cli.run(['key', 'enable', main.id, '--json']);
    expect(enableJson.code).not.toBe(0);
    expect(enableJson.stdout).toBe('');
    expect(enableJson.stderr).toMatch(/^charthero: [^\n]+\n$/);
    // Still revoked, well past the propagation window of the failed command.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expectError(await call('get_encounter', main.secret), 'revoked_key');
  });

  it('key create --expires-at now+4s → 200, then 401 expired_key once it passes', async () => {
    const expiresAtMs = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    const key = createKey(['--org', ORG, '--scopes', 'all', '--expires-at', new Date(expiresAtMs).toISOString()]);
    await observeWithin('get_document', key.secret, 'ok', performance.now());
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now())));
    await observeWithin('get_document', key.secret, 'expired_key', performance.now());
  });

  it('key create --scopes encounters:read → missing_scope; a documents key cannot fetch audio URLs', async () => {
    const narrow = createKey(['--org', ORG, '--scopes', 'encounters:read']);
    await observeWithin('list_encounters', narrow.secret, 'missing_scope', performance.now());
    await observeWithin('get_document', narrow.secret, 'missing_scope', performance.now());
    const documents = createKey(['--org', ORG, '--scopes', 'encounters:read,documents:read']);
    await observeWithin('get_document', documents.secret, 'ok', performance.now());
    await observeWithin('get_transcript', documents.secret, 'ok', performance.now());
    await observeWithin('get_audio_url', documents.secret, 'missing_scope', performance.now());
    await observeWithin('get_encounter', documents.secret, 'missing_scope', performance.now());
  });

  it('key create without --org → org_scope_only_required', async () => {
    const unscoped = createKey(['--scopes', 'all']);
    await observeWithin('list_encounters', unscoped.secret, 'org_scope_only_required', performance.now());
  });

  it('org rate-limit ORG 1 → a burst gets 429 rate_limited with Retry-After; 0 lifts it', async () => {
    const key = createKey(['--org', ORG, '--scopes', 'all']);
    expectOk(await call('get_encounter', key.secret), 'get_encounter');
    const since = command(['org', 'rate-limit', ORG, '1']);
    await observeWithin('get_encounter', key.secret, 'rate_limited', since);
    const burst = await Promise.all(Array.from({ length: 5 }, () => call('get_encounter', key.secret)));
    for (const response of burst) expectError(response, 'rate_limited');
    expect(burst[0]!.headers.get('ratelimit-policy')).toContain('"organization"');
    await observeWithin('get_encounter', key.secret, 'ok', command(['org', 'rate-limit', ORG, '0']));
  });

  it('key create --rate-limit 1 → the third request of a burst gets 429 rate_limited with Retry-After', async () => {
    const key = createKey(['--org', ORG, '--scopes', 'all', '--rate-limit', '1']);
    const outcomes: string[] = [];
    let limited: Observed | undefined;
    for (let i = 0; i < 4; i++) {
      const response = await call('list_encounters', key.secret);
      outcomes.push(outcome(response));
      if (response.status === 429) limited ??= response;
    }
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes).toContain('rate_limited');
    expectError(limited!, 'rate_limited');
    expect(limited!.headers.get('ratelimit-policy')).toBe('"key";q=2;w=2');
  });

  it('key list --json shows every key with its status and never a secret', () => {
    const result = cli.run(['key', 'list', '--org', ORG, '--json']);
    expect(result.code).toBe(0);
    for (const secret of secrets) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stdout).not.toContain(secret.slice(11)); // the body without its prefix either
    }
    expect(result.stdout).not.toMatch(/ch_sk_|"secret"|digest/);
    const { keys } = JSON.parse(result.stdout) as { keys: Array<{ id: string; status: string }> };
    expect(keys.find((key) => key.id === main.id)?.status).toBe('revoked');
    expect(keys.length).toBe(secrets.length - 1); // all but the key without an organization
    const all = cli.run(['key', 'list']);
    for (const secret of secrets) expect(all.stdout).not.toContain(secret.slice(11));
  });

  it('key list shows when a key was last used (written behind, within the 5 s flush); null for a key never used', async () => {
    type Listed = { id: string; last_used_at: string | null };
    const unused = createKey(['--org', ORG, '--scopes', 'all', '--name', 'never used']);
    const used = createKey(['--org', ORG, '--scopes', 'all', '--name', 'used once']);
    const sentAfter = Date.now();
    await observeWithin('list_encounters', used.secret, 'ok', performance.now());
    const answeredBy = Date.now();
    const listed = () => cli.json<{ keys: Listed[] }>(['key', 'list', '--org', ORG]).keys;
    let keys = listed();
    const deadline = Date.now() + 8000;
    while (keys.find((key) => key.id === used.id)?.last_used_at == null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      keys = listed();
    }
    const lastUsed = keys.find((key) => key.id === used.id)?.last_used_at;
    expect(lastUsed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    // Timestamps may be written to the second: the request's moment, rounded down.
    expect(Date.parse(lastUsed!)).toBeGreaterThanOrEqual(Math.floor(sentAfter / 1000) * 1000);
    expect(Date.parse(lastUsed!)).toBeLessThanOrEqual(answeredBy);
    expect(keys.find((key) => key.id === unused.id)?.last_used_at).toBeNull();
  });

  it('audit list --json shows the requests made with each key, by key id', async () => {
    type Event = {
      event: string;
      key_id: string | null;
      organization_id: string | null;
      route_id: string;
      status: number;
      reason_code: string;
    };
    let events: Event[] = [];
    // The ledger is written in batches; give it a moment.
    const deadline = Date.now() + 5000;
    for (;;) {
      events = cli.json<{ events: Event[] }>(['audit', 'list', '--limit', '10000']).events;
      if (events.some((event) => event.reason_code === 'rate_limited' && event.status === 429)) break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const mine = events.filter((event) => event.key_id === main.id);
    const seen = new Set(mine.map((event) => `${event.event} ${event.route_id} ${event.status} ${event.reason_code}`));
    for (const expected of [
      'request list_encounters 403 organization_not_allowlisted',
      'request list_encounters 403 route_not_allowed',
      'request list_encounters 200 null',
      'request get_transcript 403 route_not_allowed',
      'request get_document 401 api_keys_disabled',
      'request list_encounters 401 disabled_key',
      'request get_encounter 401 revoked_key',
      'audio_url_issued get_audio_url 200 null',
    ]) {
      expect(seen, expected).toContain(expected);
    }
    expect(events.some((event) => event.status === 429 && event.reason_code === 'rate_limited')).toBe(true);
    // `--org` finds every request made with the organization's keys, also those refused for the key's state or
    // the organization's API-key switch.
    const byOrg = cli.json<{ events: Event[] }>(['audit', 'list', '--org', ORG, '--limit', '10000']).events;
    expect(byOrg.filter((event) => event.key_id === main.id).length).toBe(mine.length);
    for (const event of mine) expect(event.organization_id).toBe(ORG);
    const verify = cli.json<{ ok: boolean }>(['audit', 'verify']);
    expect(verify.ok).toBe(true);
  });
});
