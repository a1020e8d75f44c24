/**
 * The reason-code registry, both ways (CONTRACT.md 2.1):
 * 1. src/contract/{reasons,routes}.ts say what the contract says: every code's status and category, and exactly the
 *    codes each route can produce.
 * 2. Every code a route lists is produced by a real request (one probe per code per route).
 * 3. Hostile requests (odd headers, keys in every state, bad queries, odd ids) only ever produce codes the route
 *    lists, each with its registry status, category and field rule.
 * Nothing is left unreachable in-process: datastore_unavailable and internal_error are produced with the faults of
 * test/support/outage.ts (a datastore that times out, a table that is gone).
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS } from '../../src/contract/reasons.js';
import { PUBLIC_ROUTES, type RouteId, routeById } from '../../src/contract/routes.js';
import { CONTRACT_REASONS, CONTRACT_ROUTE_CODES, type Code, ROUTE_INDEPENDENT_CODES } from '../support/contract.js';
import { expectCommonHeaders, expectError } from '../support/expect-error.js';
import { addKey } from '../support/fixture.js';
import { type Harness, startHarness } from '../support/harness.js';
import { makeToken } from '../support/keys.js';
import { breakTable, removeAudioStorage, removeKeyring, simulateDatastoreOutage } from '../support/outage.js';
import {
  auth,
  bearer,
  type Headers,
  type KeyName,
  localPart,
  OK_URL,
  oddIds,
  pathOf,
  ROUTES,
  send,
} from '../support/requests.js';

const CODES = Object.keys(CONTRACT_REASONS) as Code[];

describe('src/contract/reasons.ts is the registry of CONTRACT.md 2.1', () => {
  it('has exactly the contract codes', () => {
    expect([...REASON_CODES].sort()).toEqual([...CODES].sort());
  });

  it.each(CODES)('%s has the contract status and error category', (code) => {
    expect({ status: REASONS[code].status, error: REASONS[code].error }).toEqual(CONTRACT_REASONS[code]);
  });

  it('names a field only for the query codes', () => {
    const fields = Object.fromEntries(CODES.map((code) => [code, REASONS[code].field]));
    expect(fields).toEqual({
      ...Object.fromEntries(CODES.map((code) => [code, null])),
      unsupported_filter: 'query_key',
      invalid_limit: 'limit',
      invalid_offset: 'offset',
      invalid_sort: 'sort_order',
      invalid_query: 'start_at|end_at',
    });
  });
});

describe('src/contract/routes.ts lists exactly the codes each route can produce', () => {
  it('has the five routes of section 1', () => {
    expect(PUBLIC_ROUTES.map((route) => route.id)).toEqual(ROUTES);
  });

  it.each(ROUTES)('%s', (route) => {
    const listed = routeById(route).reasons;
    expect(new Set(listed).size, 'no duplicates').toBe(listed.length);
    expect([...listed].sort()).toEqual([...CONTRACT_ROUTE_CODES[route]].sort());
  });

  it('every registry code is on some route, or is one of the route-independent codes', () => {
    const onRoutes = new Set(PUBLIC_ROUTES.flatMap((route) => route.reasons));
    for (const code of ROUTE_INDEPENDENT_CODES) expect(onRoutes.has(code), code).toBe(false);
    expect([...onRoutes, ...ROUTE_INDEPENDENT_CODES].sort()).toEqual([...CODES].sort());
  });
});

type EnvName = 'sandbox' | 'production' | 'noKeyring';

interface Probe {
  env: EnvName;
  run: (h: Harness, route: RouteId) => Promise<LightMyRequestResponse>;
}

/** The sandbox's clock: real unless a probe freezes it. */
let frozen: number | null = null;

const get = (key: KeyName | null, build: (route: RouteId) => string): Probe => ({
  env: 'sandbox',
  run: (h, route) => h.get(build(route), key === null ? {} : auth(h, key)),
});
const at = (encounterId: string, documentId: string) => (route: RouteId) => pathOf(route, encounterId, documentId);
const ok =
  (query = '') =>
  (route: RouteId) =>
    `${OK_URL[route]}${query}`;

/** One request per code; each route runs the probes of the codes it lists. */
const PROBES: Record<Exclude<Code, 'route_not_found' | 'method_not_allowed' | 'media_url_invalid'>, Probe> = {
  missing_bearer: get(null, ok()),
  api_keys_disabled: get('orgKeysOff', ok()),
  test_prefix_not_allowed: { env: 'production', run: (h, route) => h.get(OK_URL[route], bearer(makeToken('test'))) },
  malformed_token: { env: 'sandbox', run: (h, route) => h.get(OK_URL[route], bearer('junk')) },
  invalid_key: { env: 'sandbox', run: (h, route) => h.get(OK_URL[route], bearer(makeToken('test'))) },
  revoked_key: get('revoked', ok()),
  disabled_key: get('disabled', ok()),
  expired_key: get('expired', ok()),
  org_scope_only_required: get('noOrg', ok()),
  organization_not_allowlisted: get('notAllowlisted', ok()),
  route_not_allowed: get('noRoutes', ok()),
  missing_scope: get('noDocuments', ok()),
  unsupported_filter: get('full', ok('?x=1')),
  invalid_limit: get('full', ok('?limit=0')),
  invalid_offset: get('full', ok('?offset=-1')),
  invalid_sort: get('full', ok('?sort_order=up')),
  invalid_query: get('full', ok('?start_at=2026-02-30T00:00:00Z')),
  encounter_not_found: get('full', at('enc_unknown', 'doc_unknown')),
  cross_organization_denied: get('full', at('enc_b1', 'doc_b1')),
  demo_training_denied: get('full', at('enc_demo', 'doc_demo')),
  document_not_found: get('full', at('enc_a1', 'doc_unknown')),
  unsupported_document_type: get('full', at('enc_a1', 'doc_intake')),
  transcript_not_found: get('full', at('enc_a1', 'doc_amb_draft')),
  audio_not_available_for_document: get('full', at('enc_a1', 'doc_amb_norec')),
  audio_not_found: get('full', at('enc_a1', 'doc_amb_lost')),
  audio_storage_unavailable: {
    env: 'sandbox',
    async run(h, route) {
      const remount = removeAudioStorage(h);
      try {
        return await h.get(OK_URL[route], auth(h));
      } finally {
        remount();
      }
    },
  },
  digest_key_unavailable: { env: 'noKeyring', run: (h, route) => h.get(OK_URL[route], auth(h)) },
  datastore_unavailable: {
    env: 'sandbox',
    async run(h, route) {
      const restore = await simulateDatastoreOutage(h);
      try {
        return await h.get(OK_URL[route], auth(h));
      } finally {
        await restore();
      }
    },
  },
  rate_limited: {
    env: 'sandbox',
    async run(h, route) {
      frozen = Date.now();
      try {
        const key = await addKey(h.runtime, h.config, { rateLimitPerSecond: 1 });
        for (let i = 0; i < 2; i++) await h.get(OK_URL[route], bearer(key.secret));
        return await h.get(OK_URL[route], bearer(key.secret));
      } finally {
        frozen = null;
      }
    },
  },
  internal_error: {
    env: 'sandbox',
    async run(h, route) {
      const restore = await breakTable(h, 'encounters');
      try {
        return await h.get(OK_URL[route], auth(h));
      } finally {
        await restore();
      }
    },
  },
};

/** The `field` each query probe names. */
const PROBE_FIELDS: Partial<Record<Code, string>> = {
  unsupported_filter: 'x',
  invalid_limit: 'limit',
  invalid_offset: 'offset',
  invalid_sort: 'sort_order',
  invalid_query: 'start_at',
};

const FIELD_RULE: Partial<Record<Code, (field: unknown) => boolean>> = {
  unsupported_filter: (field) =>
    field === null || (typeof field === 'string' && field.length > 0 && field.length <= 64 && !/[\p{Cc}]/u.test(field)),
  invalid_limit: (field) => field === 'limit',
  invalid_offset: (field) => field === 'offset',
  invalid_sort: (field) => field === 'sort_order',
  invalid_query: (field) => field === null || field === 'start_at' || field === 'end_at',
};

/** The code of an error response, after checking everything the contract says about any error of `route`. */
function checkedCode(route: RouteId, response: LightMyRequestResponse): Code | 'ok' {
  expectCommonHeaders(response);
  if (response.statusCode === 200) return 'ok';
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'field', 'message', 'reason_code']);
  const code = body.reason_code as Code;
  expect(CONTRACT_ROUTE_CODES[route], `${route} does not list ${code}`).toContain(code);
  expect(response.statusCode).toBe(CONTRACT_REASONS[code].status);
  expect(body.error).toBe(CONTRACT_REASONS[code].error);
  expect(typeof body.message === 'string' && body.message.length > 0).toBe(true);
  expect((FIELD_RULE[code] ?? ((field: unknown) => field === null))(body.field), `field ${String(body.field)}`).toBe(
    true,
  );
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  if (response.statusCode === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="charthero"/);
  else expect(response.headers['www-authenticate']).toBeUndefined();
  return code;
}

describe('every code a route lists is produced by a request', () => {
  const envs = {} as Record<EnvName, Harness>;
  beforeAll(async () => {
    envs.sandbox = await startHarness({ runtime: { now: () => frozen ?? Date.now() } });
    envs.production = await startHarness({ env: { CHARTHERO_ENVIRONMENT: 'production' } });
    envs.noKeyring = await startHarness();
    removeKeyring(envs.noKeyring);
  });
  afterAll(async () => {
    for (const h of Object.values(envs)) await h?.close();
  });

  it('there is a probe for every code but the route-independent ones', () => {
    expect([...Object.keys(PROBES), ...ROUTE_INDEPENDENT_CODES].sort()).toEqual([...CODES].sort());
  });

  describe.each(ROUTES)('%s', (route) => {
    it.each(CONTRACT_ROUTE_CODES[route])('%s', async (code) => {
      const probe = PROBES[code as keyof typeof PROBES];
      const response = await probe.run(envs[probe.env], route);
      expectError(response, { reason_code: code, field: PROBE_FIELDS[code] ?? null });
      expect(checkedCode(route, response)).toBe(code);
    });
  });

  describe('route-independent codes', () => {
    it('route_not_found: a path under /external/v1 that matches no route', async () => {
      expectError(await envs.sandbox.get('/external/v1/nope', auth(envs.sandbox)), { reason_code: 'route_not_found' });
    });

    it.each(ROUTES)('method_not_allowed: POST on the path of %s', async (route) => {
      expectError(await send(envs.sandbox, 'POST', OK_URL[route], auth(envs.sandbox)), {
        reason_code: 'method_not_allowed',
      });
    });

    it('media_url_invalid: a media URL with a tampered signature', async () => {
      const h = envs.sandbox;
      const { audio_url } = JSON.parse((await h.get(OK_URL.get_audio_url, auth(h))).body) as { audio_url: string };
      const url = new URL(audio_url);
      url.searchParams.set('sig', 'A'.repeat(43));
      expectError(await h.get(localPart(url.toString())), { reason_code: 'media_url_invalid' });
    });
  });
});

describe('hostile requests only produce codes the route lists', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    // Thousands of requests: lift the rate limits so they do not hide every other code.
    await sql`update api_keys set rate_limit_per_second = 0`.execute(h.runtime.store.db);
  });
  afterAll(() => h?.close());

  const KEY_NAMES = [
    'full',
    'noRecordings',
    'noPatients',
    'noDocuments',
    'disabled',
    'revoked',
    'expired',
    'noOrg',
    'notAllowlisted',
    'listOnly',
    'noRoutes',
    'orgKeysOff',
    'beta',
    'otherEnvironment',
  ] as const satisfies readonly KeyName[];

  const authorization = fc.oneof(
    { weight: 8, arbitrary: fc.constant((h: Harness): Headers => auth(h, 'full')) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...KEY_NAMES).map(
        (key) =>
          (h: Harness): Headers =>
            auth(h, key),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '',
          'Bearer',
          'Bearer ',
          'Basic x',
          'Bearer junk',
          `Bearer ${makeToken('test')}`,
          `Bearer ${makeToken('live')}`,
          'Bearer ch_sk_test_',
        )
        .map((value) => () => ({ authorization: value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'grapheme-ascii', maxLength: 60 })
        .map((value) => () => ({ authorization: `Bearer ${value}` })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        (h: Harness): Headers => ({
          authorization: [`Bearer ${h.fixture.keys.full.secret}`, 'Bearer x'],
        }),
      ),
    },
    { weight: 1, arbitrary: fc.constant((): Headers => ({})) },
  );

  const queryPart = fc.oneof(
    fc.constantFrom(
      'x=1',
      'limit=0',
      'limit=50',
      'limit=5&limit=6',
      'limit=%',
      'offset=-1',
      'offset=10000',
      'sort_order=ASC',
      'sort_order=asc',
      'start_at=2026-02-30T00:00:00Z',
      'start_at=2026-07-01T00:00:00Z&end_at=2026-06-01T00:00:00Z',
      'end_at=2026-06-01T00:00:00+02:00',
      '%FF=1',
      `${'k'.repeat(100)}=1`,
      '=',
      '&&',
      'limit',
    ),
    fc
      .tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }))
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
  );
  const query = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: queryPart.map((part) => `?${part}`) },
    { weight: 1, arbitrary: fc.array(queryPart, { minLength: 2, maxLength: 3 }).map((parts) => `?${parts.join('&')}`) },
  );

  const encounterIds = [
    'enc_a1',
    'enc_a2',
    'enc_b1',
    'enc_demo',
    'enc_training',
    'enc_unavailable',
    ...oddIds('enc_a1').map(([, id]) => id),
  ];
  const documentIds = [
    'doc_amb',
    'doc_note',
    'doc_amb_draft',
    'doc_amb_norec',
    'doc_amb_lost',
    'doc_intake',
    'doc_hidden',
    'doc_a2',
    'doc_b1',
    'doc_demo',
    'doc_training',
    ...oddIds('doc_amb').map(([, id]) => id),
  ];
  /** Any id at all, percent-encoded as a client would; `.` and `..` are path navigation, not ids. */
  const id = (known: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...known) },
      {
        weight: 1,
        arbitrary: fc
          .string({ unit: 'binary', minLength: 1, maxLength: 40 })
          .map(encodeURIComponent)
          .filter((segment) => segment !== '.' && segment !== '..'),
      },
    );

  /** Pairs that exist together, so the document checks and success are reached, not only encounter_not_found. */
  const STORED_PAIRS: Array<[string, string]> = [
    ...['doc_amb', 'doc_note', 'doc_amb_draft', 'doc_amb_norec', 'doc_amb_lost', 'doc_intake', 'doc_hidden'].map(
      (documentId): [string, string] => ['enc_a1', documentId],
    ),
    ['enc_a2', 'doc_a2'],
    ['enc_b1', 'doc_b1'],
    ['enc_demo', 'doc_demo'],
    ['enc_training', 'doc_training'],
  ];
  const ids = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...STORED_PAIRS) },
    { weight: 1, arbitrary: fc.tuple(id(encounterIds), id(documentIds)) },
  );

  const ACCESS_REACHED: Array<Code | 'ok'> = [
    'ok',
    'missing_bearer',
    'malformed_token',
    'invalid_key',
    'revoked_key',
    'expired_key',
    'org_scope_only_required',
    'route_not_allowed',
    'missing_scope',
    'unsupported_filter',
  ];
  const ENCOUNTER_REACHED: Code[] = ['encounter_not_found', 'cross_organization_denied', 'demo_training_denied'];
  const DOCUMENT_REACHED: Code[] = [...ENCOUNTER_REACHED, 'document_not_found', 'unsupported_document_type'];
  const REACHED: Record<RouteId, Array<Code | 'ok'>> = {
    list_encounters: [...ACCESS_REACHED, 'invalid_limit', 'invalid_offset', 'invalid_sort', 'invalid_query'],
    get_encounter: [...ACCESS_REACHED, ...ENCOUNTER_REACHED],
    get_document: [...ACCESS_REACHED, ...DOCUMENT_REACHED],
    get_transcript: [...ACCESS_REACHED, ...DOCUMENT_REACHED, 'transcript_not_found'],
    get_audio_url: [...ACCESS_REACHED, ...DOCUMENT_REACHED, 'audio_not_available_for_document', 'audio_not_found'],
  };

  it.each(ROUTES)('%s', async (route) => {
    const seen = new Set<Code | 'ok'>();
    await fc.assert(
      fc.asyncProperty(authorization, query, ids, async (headers, queryString, [encounterId, documentId]) => {
        const response = await h.get(`${pathOf(route, encounterId, documentId)}${queryString}`, headers(h));
        const code = checkedCode(route, response);
        expect(code, 'hostile input is never a fault').not.toBe('internal_error');
        expect(code).not.toBe('datastore_unavailable');
        seen.add(code);
      }),
      { numRuns: 1000, seed: 20260525 },
    );
    // The hostile set is broad: it reaches authentication, authorization, the query, the resources and success.
    expect([...seen].sort()).toEqual(expect.arrayContaining(REACHED[route]));
  });
});
