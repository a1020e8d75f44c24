/**
 * A black-box run of the contract, done as a partner would: the server is started the way the README says
 * (`node bin/charthero.js serve --seed-if-empty` in an empty folder), every request is made with the real `curl`
 * binary, and every case is one row of a table that reads like CONTRACT.md: request → status, `error`,
 * `reason_code`, `field` and headers. Nothing here imports the server's code: the expected values are restated
 * from CONTRACT.md, so a difference between the two fails a row.
 *
 * Besides the seeded sandbox, the operator CLI (also a separate process) adds a few records (demo, training,
 * unavailable and foreign-organization encounters, an intake form, transcripts without finalization or recording)
 * and the keys and organizations the 401/403 rows need. Two more servers on the same data cover the deployment
 * settings: `production` (test prefix) and the API-key kill switch.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';
import { type CurlResponse, curl } from './curl.js';
import { chartheroJson, type ServedProcess, serve, tinyWav } from './serve.js';

// ---------------------------------------------------------------------------------------------------------------
// CONTRACT.md section 2.1, restated: reason code → status and error category.
// ---------------------------------------------------------------------------------------------------------------
const REGISTRY = {
  missing_bearer: [401, 'api_key_unauthorized'],
  api_keys_disabled: [401, 'api_key_unauthorized'],
  test_prefix_not_allowed: [401, 'api_key_unauthorized'],
  malformed_token: [401, 'api_key_unauthorized'],
  invalid_key: [401, 'api_key_unauthorized'],
  revoked_key: [401, 'api_key_unauthorized'],
  disabled_key: [401, 'api_key_unauthorized'],
  expired_key: [401, 'api_key_unauthorized'],
  org_scope_only_required: [403, 'api_key_forbidden'],
  organization_not_allowlisted: [403, 'api_key_forbidden'],
  route_not_allowed: [403, 'api_key_forbidden'],
  missing_scope: [403, 'api_key_forbidden'],
  cross_organization_denied: [403, 'api_key_forbidden'],
  demo_training_denied: [403, 'api_key_forbidden'],
  unsupported_filter: [400, 'api_key_validation_failed'],
  invalid_limit: [422, 'api_key_validation_failed'],
  invalid_offset: [422, 'api_key_validation_failed'],
  invalid_sort: [422, 'api_key_validation_failed'],
  invalid_query: [422, 'api_key_validation_failed'],
  encounter_not_found: [404, 'public_api_not_found'],
  document_not_found: [404, 'public_api_not_found'],
  transcript_not_found: [404, 'public_api_not_found'],
  audio_not_available_for_document: [404, 'public_api_not_found'],
  audio_not_found: [404, 'public_api_not_found'],
  unsupported_document_type: [400, 'public_api_not_found'],
  route_not_found: [404, 'public_api_not_found'],
  method_not_allowed: [405, 'public_api_not_found'],
  media_url_invalid: [404, 'public_api_not_found'],
  digest_key_unavailable: [503, 'public_api_unavailable'],
  audio_storage_unavailable: [503, 'public_api_unavailable'],
  datastore_unavailable: [503, 'public_api_unavailable'],
  rate_limited: [429, 'public_api_rate_limited'],
  internal_error: [500, 'public_api_error'],
} as const;
type Reason = keyof typeof REGISTRY;

/** The keys the rows use (created in beforeAll); `none` sends no Authorization header. */
type KeyName =
  | 'seeded'
  | 'none'
  | 'forged'
  | 'forgedLive'
  | 'live'
  | 'revoked'
  | 'disabled'
  | 'expired'
  | 'noorg'
  | 'narrow'
  | 'docsonly'
  | 'other'
  | 'routes'
  | 'off'
  | 'slow'
  | 'slowRevoked'
  | 'slowOther';

interface Row {
  /** What the row shows, in the contract's words. */
  says: string;
  server?: 'sandbox' | 'production' | 'killswitch' | 'nokeyring';
  method?: string;
  head?: boolean;
  /** Path and query, sent as written; `{name}` is filled from the ids found at start-up. */
  path: string;
  /** Default `seeded`. */
  key?: KeyName;
  /** Extra raw header lines; `{key:name}` is replaced by that key's secret. */
  headers?: string[];
  data?: string;
  /** Send the request this many times in a row and judge the last answer. */
  repeat?: number;
  status: number;
  reason?: Reason;
  /** `field` of the error body; default null. */
  field?: string | null;
  /** Node's own answer before the application sees the request (CONTRACT.md section 2's one exception). */
  bare?: boolean;
  check?: (response: CurlResponse) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// The data the CLI adds to the seeded sandbox (section 11 import format).
// ---------------------------------------------------------------------------------------------------------------
const WAV = tinyWav(1000);
const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00Z`;
const encounter = (id: string, organization: string, patient: string, origin: string, available = true) => ({
  type: 'encounter',
  id,
  organization_id: organization,
  patient_id: patient,
  encounter_type: 'ambient',
  status: 'completed',
  origin,
  available,
  created_at: at(0),
  updated_at: at(30),
  date_of_service: null,
});
const note = (id: string, encounterId: string, minute: number, available = true, schemaType = 'document') => ({
  type: 'document',
  id,
  encounter_id: encounterId,
  schema_type: schemaType,
  title: `${schemaType} ${id}`,
  status: 'signed',
  workflow_variant: null,
  available,
  content: { format: 'markdown', text: `# ${id}` },
  created_at: at(minute),
  updated_at: at(minute),
});
const ambient = (id: string, minute: number, finalized: boolean) => [
  {
    type: 'document',
    id,
    encounter_id: 'enc_bb',
    schema_type: 'ambient_transcript',
    title: `Ambient ${id}`,
    status: finalized ? 'finalized' : 'processing',
    audio_duration_seconds: 12.5,
    available: true,
    created_at: at(minute),
    updated_at: at(minute),
  },
  {
    type: 'transcript',
    document_id: id,
    provider: 'deepgram',
    audio_duration_seconds: 12.5,
    finalized_at: finalized ? at(40) : null,
    turns: [
      { speaker: 'clinician', start: 0, end: 1.6, text: 'How are you?' },
      { speaker: 'patient', start: 2, end: 3.5, text: 'Fine, thanks.' },
    ],
  },
];
const EXTRA = [
  { type: 'organization', id: 'org_bb_other', name: 'Other Clinic' },
  { type: 'organization', id: 'org_bb_routes', name: 'List-only Clinic' },
  { type: 'organization', id: 'org_bb_off', name: 'Keys-off Clinic' },
  {
    type: 'patient',
    id: 'pat_bb',
    organization_id: 'org_sandbox',
    first_name: null,
    last_name: null,
    date_of_birth: null,
  },
  {
    type: 'patient',
    id: 'pat_bb_o',
    organization_id: 'org_bb_other',
    first_name: 'Olga',
    last_name: 'Other',
    date_of_birth: '1980-02-29',
  },
  encounter('enc_bb', 'org_sandbox', 'pat_bb', 'clinical'),
  encounter('enc_bb_demo', 'org_sandbox', 'pat_bb', 'demo'),
  encounter('enc_bb_training', 'org_sandbox', 'pat_bb', 'training'),
  encounter('enc_bb_gone', 'org_sandbox', 'pat_bb', 'clinical', false),
  encounter('enc_bb_tie', 'org_sandbox', 'pat_bb', 'clinical'),
  encounter('enc_bb_demo_gone', 'org_sandbox', 'pat_bb', 'demo', false),
  encounter('enc_bb_other', 'org_bb_other', 'pat_bb_o', 'clinical'),
  encounter('enc_bb_other_demo', 'org_bb_other', 'pat_bb_o', 'demo'),
  encounter('enc_bb_other_gone', 'org_bb_other', 'pat_bb_o', 'clinical', false),
  note('doc_bb_intake', 'enc_bb', 1, true, 'intake_form'),
  ...ambient('doc_bb_amb', 2, true),
  ...ambient('doc_bb_amb_open', 3, false),
  ...ambient('doc_bb_amb_lost', 4, true),
  {
    ...ambient('doc_bb_amb_none', 5, true)[0],
    created_at: '2026-01-01T01:05:00+01:00',
    updated_at: '2026-01-01T00:05:00.123Z',
    audio_duration_seconds: null,
  },
  note('doc_bb_note', 'enc_bb', 6),
  note('doc_bb_note_gone', 'enc_bb', 7, false),
  note('doc_bb_demo_note', 'enc_bb_demo', 1),
  note('doc_bb_other_note', 'enc_bb_other', 1),
  { type: 'recording', document_id: 'doc_bb_amb', file: 'audio/a.wav', content_type: 'audio/wav' },
  { type: 'recording', document_id: 'doc_bb_amb_lost', file: 'audio/lost.wav', content_type: 'audio/wav' },
];

// ---------------------------------------------------------------------------------------------------------------
// Expected success shapes (section 6).
// ---------------------------------------------------------------------------------------------------------------
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const ENCOUNTER_KEYS = [
  'created_at',
  'date_of_service',
  'documents',
  'encounter_id',
  'encounter_type',
  'organization_id',
  'patient',
  'status',
  'updated_at',
];

function expectEncounter(encounter: Record<string, unknown>): void {
  expect(Object.keys(encounter).sort()).toEqual(ENCOUNTER_KEYS);
  expect(encounter.organization_id).toBe('org_sandbox');
  expect(encounter.created_at).toMatch(TIMESTAMP);
  expect(encounter.updated_at).toMatch(TIMESTAMP);
  if (encounter.date_of_service !== null) expect(encounter.date_of_service).toMatch(TIMESTAMP);
  expect(typeof encounter.encounter_type).toBe('string');
  expect(typeof encounter.status).toBe('string');
  const patient = encounter.patient as Record<string, unknown>;
  expect(Object.keys(patient).sort()).toEqual(['date_of_birth', 'first_name', 'last_name', 'patient_id']);
  if (patient.date_of_birth !== null) expect(patient.date_of_birth).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  const documents = encounter.documents as Array<Record<string, unknown>>;
  for (const document of documents) {
    expect(Object.keys(document).sort()).toEqual([
      'created_at',
      'document_id',
      'schema_type',
      'status',
      'title',
      'updated_at',
    ]);
    expect(['document', 'ambient_transcript']).toContain(document.schema_type);
  }
  const created = documents.map((document) => document.created_at as string);
  expect(created).toEqual([...created].sort()); // oldest first
}

function expectList(body: Record<string, unknown>, limit: number, offset: number, order: 'asc' | 'desc'): void {
  expect(Object.keys(body).sort()).toEqual(['has_more', 'items', 'limit', 'next_offset', 'offset', 'sort_order']);
  expect({ limit: body.limit, offset: body.offset, sort_order: body.sort_order }).toEqual({
    limit,
    offset,
    sort_order: order,
  });
  const items = body.items as Array<Record<string, unknown>>;
  expect(items.length).toBeLessThanOrEqual(limit);
  for (const item of items) expectEncounter(item);
  const keys = items.map((item) => `${item.created_at as string} ${item.encounter_id as string}`);
  const sorted = [...keys].sort();
  expect(keys).toEqual(order === 'asc' ? sorted : sorted.reverse());
  expect(body.next_offset).toBe(body.has_more ? offset + items.length : null);
}

const ids = (response: CurlResponse) =>
  ((response.json() as { items: Array<{ encounter_id: string }> }).items ?? []).map((item) => item.encounter_id);

// ---------------------------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------------------------
const E = '/external/v1/encounters';
const BB = `${E}/enc_bb`;
const LONG_ID = `enc_${'x'.repeat(10_000)}`;
const EMPTY_PAGE = { items: [], limit: 50, offset: 0, sort_order: 'desc', has_more: false, next_offset: null };

/**
 * One row: `request` is `METHOD path?query` as curl sends it; then the key, the expected status, `reason_code`
 * (null for a success) and `field`, and what the row shows. `extra` adds headers, a body, another server, checks.
 */
function row(
  request: string,
  key: KeyName,
  status: number,
  reason: Reason | null,
  field: string | null,
  says: string,
  extra: Partial<Row> = {},
): Row {
  const space = request.indexOf(' ');
  const method = request.slice(0, space);
  return {
    says,
    path: request.slice(space + 1),
    ...(method === 'HEAD' ? { head: true } : method === 'GET' ? {} : { method }),
    key,
    status,
    ...(reason === null ? {} : { reason, field }),
    ...extra,
  };
}
const auth = (...values: string[]) => ({ headers: values.map((value) => `Authorization: ${value}`) });
const production = { server: 'production' } as const;
const killswitch = { server: 'killswitch' } as const;
const nokeyring = { server: 'nokeyring' } as const;
const json = (expected: unknown) => ({ check: (r: CurlResponse) => expect(r.json()).toEqual(expected) });
const listIds = (expected: string[]) => ({ check: (r: CurlResponse) => expect(ids(r)).toEqual(expected) });

const ROWS: Row[] = [
  // Section 1: the surface; route and method come first (step 1), before authentication.
  row('GET /healthz', 'none', 200, null, null, 'liveness, no authentication', json({ status: 'ok' })),
  row('HEAD /healthz', 'none', 200, null, null, 'HEAD on healthz'),
  row('GET /readyz', 'none', 200, null, null, 'readiness: database and keyring', {
    check: (r) => expect(r.json()).toMatchObject({ status: 'ready' }),
  }),
  row('GET /openapi/v1/openapi.json', 'none', 200, null, null, 'the OpenAPI 3.1.0 artifact, no authentication', {
    check: (r) => {
      const document = r.json() as { openapi: string; paths: Record<string, unknown> };
      expect(document.openapi).toBe('3.1.0');
      expect(Object.keys(document.paths).sort()).toEqual([
        '/external/v1/encounters',
        '/external/v1/encounters/{encounter_id}',
        '/external/v1/encounters/{encounter_id}/documents/{document_id}',
        '/external/v1/encounters/{encounter_id}/documents/{document_id}/audio',
        '/external/v1/encounters/{encounter_id}/documents/{document_id}/transcript',
      ]);
    },
  }),
  row(`HEAD ${E}`, 'seeded', 200, null, null, 'HEAD behaves like GET without a body'),
  row(`HEAD ${E}/{enc}/documents/{note}`, 'seeded', 200, null, null, 'HEAD on a detail route'),
  row(`HEAD ${E}`, 'none', 401, 'missing_bearer', null, 'HEAD without a key: the 401 without a body'),
  row(`POST ${E}`, 'none', 405, 'method_not_allowed', null, 'POST without a key: 405 before authentication'),
  row(`PUT ${E}/{enc}`, 'seeded', 405, 'method_not_allowed', null, 'PUT on get_encounter'),
  row(`DELETE ${E}/{enc}/documents/{note}`, 'seeded', 405, 'method_not_allowed', null, 'DELETE on get_document'),
  row(`PATCH ${E}/{enc}/documents/{amb}/transcript`, 'seeded', 405, 'method_not_allowed', null, 'PATCH'),
  row(`TRACE ${E}`, 'none', 405, 'method_not_allowed', null, 'TRACE is just another method'),
  row(`QUERY ${E}`, 'none', 405, 'method_not_allowed', null, 'QUERY (a body method) without Content-Type'),
  row(`QUERY /external/v1/patients`, 'none', 404, 'route_not_found', null, 'QUERY on an unknown path'),
  row(`POST ${E}/{enc}/documents/{amb}/audio`, 'seeded', 405, 'method_not_allowed', null, 'POST with a JSON body', {
    headers: ['Content-Type: application/json'],
    data: '{"x":1}',
  }),
  row(`OPTIONS ${E}`, 'none', 405, 'method_not_allowed', null, 'a CORS preflight: 405, no Access-Control-*', {
    headers: ['Origin: https://partner.example', 'Access-Control-Request-Method: GET'],
  }),
  row('GET /external/v1/patients', 'none', 404, 'route_not_found', null, 'unknown path, no key: 404 before 401'),
  row('POST /external/v1/patients', 'seeded', 404, 'route_not_found', null, 'POST to an unknown path: 404, not 405'),
  row(`GET ${E}/`, 'seeded', 404, 'route_not_found', null, 'a trailing slash matches no route'),
  row('GET /external/v1//encounters', 'seeded', 404, 'route_not_found', null, 'a double slash matches no route'),
  row('GET /external/v1/Encounters', 'seeded', 404, 'route_not_found', null, 'paths are case-sensitive'),
  row('GET /external/v1', 'seeded', 404, 'route_not_found', null, 'the base path itself'),
  row('GET /', 'none', 404, 'route_not_found', null, 'the root path has the standard error body'),
  row('GET /healthz/', 'none', 404, 'route_not_found', null, 'healthz with a trailing slash'),
  row(`GET ${E}/{enc}/documents`, 'seeded', 404, 'route_not_found', null, 'a document collection is not a route'),
  row(`GET ${E}/{enc}/documents/{amb}/audio/x`, 'seeded', 404, 'route_not_found', null, 'a segment too many'),
  row(`GET ${E}/../encounters`, 'seeded', 404, 'route_not_found', null, '`..` is not folded into another route'),

  // Sections 2 and 7: headers on every response.
  row(`GET ${E}?limit=1`, 'seeded', 200, null, null, 'a valid X-Request-Id is echoed', {
    headers: ['X-Request-Id: partner-req.42_A'],
    check: (r) => expect(r.header('x-request-id')).toBe('partner-req.42_A'),
  }),
  row(`GET ${E}?limit=1`, 'seeded', 200, null, null, 'an X-Request-Id with a space is replaced', {
    headers: ['X-Request-Id: bad id'],
    check: (r) => expect(r.header('x-request-id')).not.toBe('bad id'),
  }),
  row(`GET ${E}?limit=0`, 'seeded', 422, 'invalid_limit', 'limit', 'an X-Request-Id of 129 characters is replaced', {
    headers: [`X-Request-Id: ${'r'.repeat(129)}`],
    check: (r) => expect(r.header('x-request-id')).not.toBe('r'.repeat(129)),
  }),
  row(`GET ${E}?limit=0`, 'seeded', 422, 'invalid_limit', 'limit', 'an X-Request-Id of 128 is echoed on an error', {
    headers: [`X-Request-Id: ${'r'.repeat(128)}`],
    check: (r) => expect(r.header('x-request-id')).toBe('r'.repeat(128)),
  }),
  row('GET /healthz', 'none', 200, null, null, 'two X-Request-Id headers: a new id', {
    headers: ['X-Request-Id: a', 'X-Request-Id: b'],
    check: (r) => expect(['a', 'b', 'a, b']).not.toContain(r.header('x-request-id')),
  }),
  row(`GET ${E}?limit=1`, 'seeded', 200, null, null, 'a browser Origin gets no CORS headers', {
    headers: ['Origin: https://partner.example'],
  }),
  row(`GET ${E}?limit=1`, 'seeded', 200, null, null, 'the body of a GET is ignored', {
    method: 'GET',
    headers: ['Content-Type: application/json'],
    data: '{"limit": 500',
  }),
  row(`GET ${E}`, 'seeded', 431, null, null, 'oversized headers: 431 from the HTTP parser (the one exception)', {
    headers: [`X-Padding: ${'a'.repeat(20_000)}`],
    bare: true,
  }),

  // Sections 3 and 4: authentication and authorization, in the order of checks.
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'no Authorization header'),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'an empty Authorization header', {
    headers: ['Authorization;'],
  }),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'a scheme other than Bearer', auth('Basic dXNlcjpwYXNz')),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'Bearer with an empty token', auth('Bearer')),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'the key under another scheme', auth('Token {key:seeded}')),
  row(
    `GET ${E}?limit=1`,
    'none',
    200,
    null,
    null,
    'the scheme is case-insensitive (RFC 7235)',
    auth('BEARER {key:seeded}'),
  ),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'two Authorization headers, both valid', {
    ...auth('Bearer {key:seeded}', 'Bearer {key:seeded}'),
  }),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'two Authorization headers, one Basic', {
    ...auth('Basic dXNlcjpwYXNz', 'Bearer {key:seeded}'),
  }),
  row(
    `GET ${E}`,
    'none',
    401,
    'malformed_token',
    null,
    'two keys in one header',
    auth('Bearer {key:seeded}, Bearer x'),
  ),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'not a key at all', auth('Bearer not-a-key')),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'a key with a wrong checksum', auth('Bearer {badchecksum}')),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'a key one character too long', auth('Bearer {key:seeded}x')),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'an unknown environment prefix', auth('Bearer {prodprefix}')),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'a key followed by junk', auth('Bearer {key:seeded} extra')),
  row(`GET ${E}`, 'forged', 401, 'invalid_key', null, 'well-formed, checksum right, never issued'),
  row(`GET ${E}`, 'live', 401, 'invalid_key', null, 'a real live key is never recognized by a sandbox'),
  row(`GET ${E}?limit=0`, 'none', 401, 'missing_bearer', null, 'missing bearer wins over a bad query'),
  row(
    `GET ${E}?limit=0`,
    'none',
    401,
    'malformed_token',
    null,
    'malformed token wins over a bad query',
    auth('Bearer x'),
  ),
  row(`GET ${E}?limit=0`, 'revoked', 401, 'revoked_key', null, 'section 4: a revoked key with ?limit=0'),
  row(`GET ${E}?limit=0`, 'disabled', 401, 'disabled_key', null, 'a disabled key with a bad query'),
  row(`GET ${E}?limit=0`, 'expired', 401, 'expired_key', null, 'an expired key with a bad query'),
  row(`GET ${E}?limit=0`, 'off', 401, 'api_keys_disabled', null, "the key's organization has API keys off"),
  row(`GET ${E}?limit=0`, 'noorg', 403, 'org_scope_only_required', null, 'a key without an organization'),
  row(`GET ${E}?limit=0`, 'other', 403, 'organization_not_allowlisted', null, 'not allowlisted, bad query'),
  row(`GET ${E}/enc_bb_other`, 'other', 403, 'organization_not_allowlisted', null, 'not allowlisted, own encounter'),
  row(`GET ${E}/{enc}?x=1`, 'routes', 403, 'route_not_allowed', null, 'section 4: route not enabled + bad query'),
  row(`GET ${E}`, 'routes', 200, null, null, 'the one route enabled for that organization', json(EMPTY_PAGE)),
  row(`GET ${E}?limit=0`, 'narrow', 403, 'missing_scope', null, 'missing scope wins over a bad query'),
  row(`GET ${E}`, 'docsonly', 403, 'missing_scope', null, 'list_encounters also needs patients:read'),
  row(`GET ${E}/{enc}`, 'docsonly', 403, 'missing_scope', null, 'get_encounter also needs patients:read'),
  row(`GET ${E}/{enc}/documents/{note}`, 'docsonly', 200, null, null, 'get_document: encounters + documents'),
  row(`GET ${E}/{enc}/documents/{amb}/transcript`, 'docsonly', 200, null, null, 'get_transcript: the same two'),
  row(`GET ${E}/{enc}/documents/{amb}/audio`, 'docsonly', 403, 'missing_scope', null, 'audio needs recordings:read'),
  row(`GET ${E}/enc_unknown?x=1`, 'seeded', 400, 'unsupported_filter', 'x', 'section 4: 400 for ?x=1, not 404'),
  row(`GET ${E}?limit=1`, 'slow', 429, 'rate_limited', null, 'the 3rd quick request at 1 request/s', { repeat: 3 }),
  row(`GET ${E}?limit=1`, 'slowRevoked', 401, 'revoked_key', null, 'a revoked key is never rate limited', {
    repeat: 3,
  }),
  row(`GET ${E}?limit=1`, 'slowOther', 429, 'rate_limited', null, 'rate limit (9) before allowlist (10)', {
    repeat: 3,
  }),
  row(`GET ${E}`, 'seeded', 401, 'test_prefix_not_allowed', null, 'production: a test key', production),
  row(`GET ${E}`, 'none', 401, 'test_prefix_not_allowed', null, 'production: test prefix before format', {
    ...production,
    ...auth('Bearer ch_sk_test_short'),
  }),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'production: junk', { ...production, ...auth('Bearer junk') }),
  row(`GET ${E}`, 'forgedLive', 401, 'invalid_key', null, 'production: an unknown live key', production),
  row(`GET ${E}?limit=2`, 'live', 200, null, null, 'production: a live key works', production),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'production: no key', production),
  row(`GET ${E}`, 'seeded', 401, 'api_keys_disabled', null, 'kill switch: a valid key', killswitch),
  row(`GET ${E}`, 'none', 401, 'api_keys_disabled', null, 'kill switch before the format check', {
    ...killswitch,
    ...auth('Bearer junk'),
  }),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'kill switch: no key is still missing_bearer', killswitch),
  row(`POST ${E}`, 'seeded', 405, 'method_not_allowed', null, 'kill switch: 405 still comes first', killswitch),
  row('GET /healthz', 'none', 200, null, null, 'kill switch: healthz unaffected', killswitch),
  row('GET /readyz', 'none', 503, null, null, 'keyring missing: not ready, Retry-After', {
    ...nokeyring,
    ...json({ status: 'unavailable', checks: { database: true, digest_keyring: false } }),
  }),
  row(`GET ${E}?limit=0`, 'seeded', 503, 'digest_key_unavailable', null, 'keyring missing: 503 at step 6', nokeyring),
  row(`GET ${E}`, 'none', 401, 'malformed_token', null, 'keyring missing: format is step 5', {
    ...nokeyring,
    ...auth('Bearer junk'),
  }),
  row(`GET ${E}`, 'none', 401, 'missing_bearer', null, 'keyring missing: no key', nokeyring),
  row('GET {media}', 'none', 503, 'digest_key_unavailable', null, 'keyring missing: media URLs cannot be verified', {
    ...nokeyring,
  }),

  // Section 5: the list query.
  row(`GET ${E}?limit=`, 'seeded', 422, 'invalid_limit', 'limit', 'limit blank'),
  row(`GET ${E}?limit`, 'seeded', 422, 'invalid_limit', 'limit', 'a key without = is blank'),
  row(`GET ${E}?limit=5&limit=6`, 'seeded', 422, 'invalid_limit', 'limit', 'limit given twice'),
  row(`GET ${E}?limit=5&limit=5`, 'seeded', 422, 'invalid_limit', 'limit', 'limit twice with the same value'),
  row(`GET ${E}?limit=05`, 'seeded', 422, 'invalid_limit', 'limit', 'a leading zero'),
  row(`GET ${E}?limit=+5`, 'seeded', 422, 'invalid_limit', 'limit', 'a + sign (decoded as a space)'),
  row(`GET ${E}?limit=%2B5`, 'seeded', 422, 'invalid_limit', 'limit', 'an encoded + sign'),
  row(`GET ${E}?limit=-1`, 'seeded', 422, 'invalid_limit', 'limit', 'a - sign'),
  row(`GET ${E}?limit=0`, 'seeded', 422, 'invalid_limit', 'limit', 'limit 0'),
  row(`GET ${E}?limit=101`, 'seeded', 422, 'invalid_limit', 'limit', 'limit 101'),
  row(`GET ${E}?limit=${'9'.repeat(400)}`, 'seeded', 422, 'invalid_limit', 'limit', 'huge: invalid, no overflow'),
  row(`GET ${E}?limit=1.0`, 'seeded', 422, 'invalid_limit', 'limit', 'a decimal point'),
  row(`GET ${E}?limit=1e1`, 'seeded', 422, 'invalid_limit', 'limit', 'an exponent'),
  row(`GET ${E}?limit=%205`, 'seeded', 422, 'invalid_limit', 'limit', 'a leading space'),
  row(`GET ${E}?limit=%zz`, 'seeded', 422, 'invalid_limit', 'limit', 'a malformed escape stays literal'),
  row(`GET ${E}?l%69mit=0`, 'seeded', 422, 'invalid_limit', 'limit', 'an encoded key name is decoded'),
  row(`GET ${E}?offset=-1`, 'seeded', 422, 'invalid_offset', 'offset', 'offset negative'),
  row(`GET ${E}?offset=00`, 'seeded', 422, 'invalid_offset', 'offset', 'offset 00'),
  row(`GET ${E}?offset=10001`, 'seeded', 422, 'invalid_offset', 'offset', 'offset 10001'),
  row(`GET ${E}?offset=18446744073709551617`, 'seeded', 422, 'invalid_offset', 'offset', 'offset past 2^64'),
  row(`GET ${E}?offset`, 'seeded', 422, 'invalid_offset', 'offset', 'offset without ='),
  row(`GET ${E}?offset=1&offset=1`, 'seeded', 422, 'invalid_offset', 'offset', 'offset twice'),
  row(`GET ${E}?sort_order=ASC`, 'seeded', 422, 'invalid_sort', 'sort_order', 'sort_order is case-sensitive'),
  row(`GET ${E}?sort_order=`, 'seeded', 422, 'invalid_sort', 'sort_order', 'sort_order blank'),
  row(`GET ${E}?sort_order=asc&sort_order=asc`, 'seeded', 422, 'invalid_sort', 'sort_order', 'sort_order twice'),
  row(`GET ${E}?start_at=2026-01-01`, 'seeded', 422, 'invalid_query', 'start_at', 'a date without time'),
  row(`GET ${E}?start_at=2026-01-01T00:00:00`, 'seeded', 422, 'invalid_query', 'start_at', 'a time without offset'),
  row(`GET ${E}?start_at=2026-02-30T00:00:00Z`, 'seeded', 422, 'invalid_query', 'start_at', '2026-02-30'),
  row(`GET ${E}?start_at=2026-01-01T24:00:00Z`, 'seeded', 422, 'invalid_query', 'start_at', 'hour 24'),
  row(`GET ${E}?start_at=2016-12-31T23:59:60Z`, 'seeded', 422, 'invalid_query', 'start_at', 'second 60'),
  row(`GET ${E}?start_at=2026-01-01T10:60:00Z`, 'seeded', 422, 'invalid_query', 'start_at', 'minute 60'),
  row(`GET ${E}?start_at=0000-01-01T00:00:00Z`, 'seeded', 422, 'invalid_query', 'start_at', 'year 0000'),
  row(`GET ${E}?start_at=10000-01-01T00:00:00Z`, 'seeded', 422, 'invalid_query', 'start_at', 'year 10000'),
  row(`GET ${E}?start_at=2026-13-01T00:00:00Z`, 'seeded', 422, 'invalid_query', 'start_at', 'month 13'),
  row(`GET ${E}?start_at=2026-01-01T00:00:00+02:00`, 'seeded', 422, 'invalid_query', 'start_at', 'a decoded +', {
    check: (r) => expect((r.json() as { message: string }).message).toMatch(/%2B/),
  }),
  row(`GET ${E}?end_at=2026-02-29T00:00:00Z`, 'seeded', 422, 'invalid_query', 'end_at', '2026 is not a leap year'),
  row(`GET ${E}?end_at=`, 'seeded', 422, 'invalid_query', 'end_at', 'end_at blank'),
  row(
    `GET ${E}?start_at=2026-06-01T00:00:00Z&end_at=2026-06-01T00:00:00Z`,
    'seeded',
    422,
    'invalid_query',
    null,
    'start = end',
  ),
  row(
    `GET ${E}?start_at=2026-06-01T01:30:00%2B01:00&end_at=2026-06-01T00:00:00Z`,
    'seeded',
    422,
    'invalid_query',
    null,
    'start > end, compared as instants',
  ),
  row(`GET ${E}?limit=0&x=1`, 'seeded', 400, 'unsupported_filter', 'x', 'an unaccepted key before a bad limit'),
  row(`GET ${E}?y=1&x=1`, 'seeded', 400, 'unsupported_filter', 'y', 'the first unaccepted key in request order'),
  row(`GET ${E}?LIMIT=5`, 'seeded', 400, 'unsupported_filter', 'LIMIT', 'keys are case-sensitive'),
  row(`GET ${E}?${'k'.repeat(64)}=1`, 'seeded', 400, 'unsupported_filter', 'k'.repeat(64), 'a 64-char key is echoed'),
  row(`GET ${E}?${'k'.repeat(65)}=1`, 'seeded', 400, 'unsupported_filter', null, 'a 65-char key is not'),
  row(`GET ${E}?a%01b=1`, 'seeded', 400, 'unsupported_filter', null, 'a key with a control character is not'),
  row(`GET ${E}?%FF=1`, 'seeded', 400, 'unsupported_filter', null, 'a key of invalid UTF-8 is not'),
  row(`GET ${E}?=5`, 'seeded', 400, 'unsupported_filter', null, 'an empty key'),
  row(`GET ${E}?offset=-1&limit=0`, 'seeded', 422, 'invalid_limit', 'limit', 'limit before offset, any order'),
  row(`GET ${E}?sort_order=up&offset=x`, 'seeded', 422, 'invalid_offset', 'offset', 'offset before sort_order'),
  row(`GET ${E}?start_at=x&sort_order=up`, 'seeded', 422, 'invalid_sort', 'sort_order', 'sort_order before start_at'),
  row(`GET ${E}?end_at=x&start_at=x`, 'seeded', 422, 'invalid_query', 'start_at', 'start_at before end_at'),
  row(
    `GET ${E}?start_at=2026-06-01T00:00:00Z&end_at=2026-05-01`,
    'seeded',
    422,
    'invalid_query',
    'end_at',
    'format first',
  ),
  row(`GET ${E}/{enc}?limit=5`, 'seeded', 400, 'unsupported_filter', 'limit', 'get_encounter accepts no key'),
  row(`GET ${E}/{enc}/documents/{note}?a`, 'seeded', 400, 'unsupported_filter', 'a', 'get_document: a bare key'),
  row(`GET ${E}/{enc}/documents/{amb}/transcript?x=`, 'seeded', 400, 'unsupported_filter', 'x', 'get_transcript'),
  row(
    `GET ${E}/{enc}/documents/{amb}/audio?sort_order=asc`,
    'seeded',
    400,
    'unsupported_filter',
    'sort_order',
    'audio',
  ),
  row(`GET ${E}?&&limit=2&`, 'seeded', 200, null, null, 'empty segments are skipped', {
    check: (r) => expectList(r.json() as Record<string, unknown>, 2, 0, 'desc'),
  }),
  row(`GET ${E}`, 'seeded', 200, null, null, 'defaults: limit 50, offset 0, desc; has_more and next_offset', {
    check: (r) => expectList(r.json() as Record<string, unknown>, 50, 0, 'desc'),
  }),
  row(`GET ${E}?sort_order=asc&limit=3`, 'seeded', 200, null, null, 'asc: ties broken by encounter_id, also asc', {
    check: (r) => {
      expectList(r.json() as Record<string, unknown>, 3, 0, 'asc');
      expect(ids(r).slice(0, 2)).toEqual(['enc_bb', 'enc_bb_tie']);
    },
  }),
  row(`GET ${E}?limit=100`, 'seeded', 200, null, null, 'only listable encounters: no demo/training/gone/foreign', {
    check: (r) => {
      expectList(r.json() as Record<string, unknown>, 100, 0, 'desc');
      expect((r.json() as { has_more: boolean }).has_more).toBe(false);
      expect(ids(r).slice(-2)).toEqual(['enc_bb_tie', 'enc_bb']);
      for (const hidden of ['demo', 'training', 'gone', 'other', 'other_demo', 'other_gone', 'demo_gone']) {
        expect(ids(r)).not.toContain(`enc_bb_${hidden}`);
      }
    },
  }),
  row(`GET ${E}?offset=10000`, 'seeded', 200, null, null, 'offset 10000: an empty page', {
    ...json({ ...EMPTY_PAGE, offset: 10000 }),
  }),
  row(
    `GET ${E}?start_at=2026-01-01T00:00:00Z&end_at=2026-01-01T00:00:01Z`,
    'seeded',
    200,
    null,
    null,
    'start_at inclusive, end_at exclusive; desc ties by encounter_id desc',
    listIds(['enc_bb_tie', 'enc_bb']),
  ),
  row(
    `GET ${E}?start_at=2025-12-31T00:00:00Z&end_at=2026-01-01T00:00:00Z`,
    'seeded',
    200,
    null,
    null,
    'end_at equal to created_at excludes it',
    listIds([]),
  ),
  row(
    `GET ${E}?start_at=2026-01-01T01:00:00%2B01:00&end_at=2026-01-01T00:00:00.001Z&sort_order=asc`,
    'seeded',
    200,
    null,
    null,
    'an encoded + offset, milliseconds',
    listIds(['enc_bb', 'enc_bb_tie']),
  ),
  row(
    `GET ${E}?start_at=2026-01-01T00:00:00Z&end_at=2026-01-01T00:00:01Z&limit=1`,
    'seeded',
    200,
    null,
    null,
    'paging: has_more and next_offset',
    json({ items: expect.any(Array), limit: 1, offset: 0, sort_order: 'desc', has_more: true, next_offset: 1 }),
  ),
  row(`GET ${E}?start_at=2024-02-29T00:00:00Z&limit=1`, 'seeded', 200, null, null, 'a leap day'),
  row(
    `GET ${E}?limit=1&offset=1&sort_order=asc&start_at=2026-01-01T00:00:00Z&end_at=2026-01-01T00:00:01Z`,
    'seeded',
    200,
    null,
    null,
    'all five keys at once',
    json({
      items: [expect.objectContaining({ encounter_id: 'enc_bb_tie' })],
      limit: 1,
      offset: 1,
      sort_order: 'asc',
      has_more: false,
      next_offset: null,
    }),
  ),
  row(`GET ${E}?start_at=0001-01-01T00:00:00Z&limit=1`, 'seeded', 200, null, null, 'year 0001'),
  row(`GET ${E}?end_at=2030-01-01T00:00:00.5-05:00&limit=1`, 'seeded', 200, null, null, 'a - offset, a fraction'),

  // Section 6: resources, bodies and the resource checks (step 12).
  row(`GET ${E}/{enc}`, 'seeded', 200, null, null, 'get_encounter: {"encounter": Encounter}', {
    check: (r) => {
      const body = r.json() as { encounter: Record<string, unknown> };
      expect(Object.keys(body)).toEqual(['encounter']);
      expectEncounter(body.encounter);
    },
  }),
  row(`GET ${BB}`, 'seeded', 200, null, null, 'documents: supported and available only, oldest first', {
    check: (r) => {
      const { encounter } = r.json() as { encounter: { documents: Array<{ document_id: string }>; patient: unknown } };
      expect(encounter.documents.map((document) => document.document_id)).toEqual([
        'doc_bb_amb',
        'doc_bb_amb_open',
        'doc_bb_amb_lost',
        'doc_bb_amb_none',
        'doc_bb_note',
      ]);
      expect(encounter.patient).toEqual({
        patient_id: 'pat_bb',
        first_name: null,
        last_name: null,
        date_of_birth: null,
      });
    },
  }),
  row(`GET ${BB}/documents/doc_bb_note`, 'seeded', 200, null, null, 'a document: markdown content', {
    ...json({
      document: {
        document_id: 'doc_bb_note',
        encounter_id: 'enc_bb',
        schema_type: 'document',
        title: 'document doc_bb_note',
        status: 'signed',
        workflow_variant: null,
        created_at: '2026-01-01T00:06:00Z',
        updated_at: '2026-01-01T00:06:00Z',
        content: { format: 'markdown', text: '# doc_bb_note' },
      },
    }),
  }),
  row(`GET ${BB}/documents/doc_bb_amb_open`, 'seeded', 200, null, null, 'an ambient transcript: metadata only', {
    ...json({
      document: {
        document_id: 'doc_bb_amb_open',
        encounter_id: 'enc_bb',
        schema_type: 'ambient_transcript',
        title: 'Ambient doc_bb_amb_open',
        status: 'processing',
        audio_duration_seconds: 12.5,
        created_at: '2026-01-01T00:03:00Z',
        updated_at: '2026-01-01T00:03:00Z',
      },
    }),
  }),
  row(`GET ${BB}/documents/doc_bb_amb_none`, 'seeded', 200, null, null, 'timestamps in UTC, ms when stored', {
    check: (r) =>
      expect(r.json()).toMatchObject({
        document: {
          created_at: '2026-01-01T00:05:00Z',
          updated_at: '2026-01-01T00:05:00.123Z',
          audio_duration_seconds: null,
        },
      }),
  }),
  row(`GET ${E}/{enc}/documents/{amb}`, 'seeded', 200, null, null, 'get_document on the seeded data', {
    check: (r) => expect(r.json()).toMatchObject({ document: { schema_type: 'ambient_transcript' } }),
  }),
  row(`GET ${BB}/documents/doc_bb_amb/transcript`, 'seeded', 200, null, null, 'a transcript: turns in time order', {
    ...json({
      encounter_id: 'enc_bb',
      document_id: 'doc_bb_amb',
      transcript: {
        provider: 'deepgram',
        audio_duration_seconds: 12.5,
        turns: [
          { speaker: 'clinician', start: 0, end: 1.6, text: 'How are you?' },
          { speaker: 'patient', start: 2, end: 3.5, text: 'Fine, thanks.' },
        ],
      },
    }),
  }),
  row(`GET ${E}/{enc}/documents/{amb}/transcript`, 'seeded', 200, null, null, 'a seeded transcript', {
    check: (r) => {
      const starts = (r.json() as { transcript: { turns: Array<{ start: number }> } }).transcript.turns.map(
        (turn) => turn.start,
      );
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
    },
  }),
  row(`GET ${E}/{enc}/documents/{amb}/audio`, 'seeded', 200, null, null, 'an audio URL on this server, 15 minutes', {
    check: (r) => {
      const body = r.json() as { audio_url: string; expires_at: string };
      expect(Object.keys(body).sort()).toEqual(['audio_url', 'expires_at']);
      expect(body.audio_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/v1\//);
      expect(body.expires_at).toMatch(TIMESTAMP);
      expect(Math.abs(Date.parse(body.expires_at) - Date.now() - 900_000)).toBeLessThan(60_000);
    },
  }),
  row(`GET ${E}/enc_unknown`, 'seeded', 404, 'encounter_not_found', null, 'no such encounter'),
  row(`GET ${E}/enc_bb_other`, 'seeded', 403, 'cross_organization_denied', null, "another organization's encounter"),
  row(`GET ${E}/enc_bb_other_demo`, 'seeded', 403, 'cross_organization_denied', null, 'organization before demo'),
  row(`GET ${E}/enc_bb_other_gone`, 'seeded', 403, 'cross_organization_denied', null, 'organization before available'),
  row(`GET ${E}/enc_bb_other/documents/doc_x`, 'seeded', 403, 'cross_organization_denied', null, 'before the document'),
  row(`GET ${E}/enc_bb_demo`, 'seeded', 403, 'demo_training_denied', null, 'a demo encounter'),
  row(`GET ${E}/enc_bb_training/documents/doc_x/transcript`, 'seeded', 403, 'demo_training_denied', null, 'training'),
  row(`GET ${E}/enc_bb_demo/documents/doc_bb_demo_note`, 'seeded', 403, 'demo_training_denied', null, 'its document'),
  row(`GET ${E}/enc_bb_demo_gone`, 'seeded', 403, 'demo_training_denied', null, 'demo before available'),
  row(`GET ${E}/enc_bb_gone`, 'seeded', 404, 'encounter_not_found', null, 'an unavailable encounter'),
  row(`GET ${E}/enc_unknown/documents/doc_bb_note`, 'seeded', 404, 'encounter_not_found', null, 'encounter first'),
  row(`GET ${BB}/documents/doc_unknown`, 'seeded', 404, 'document_not_found', null, 'no such document'),
  row(`GET ${E}/{enc2}/documents/{note}`, 'seeded', 404, 'document_not_found', null, 'a document of another encounter'),
  row(`GET ${BB}/documents/doc_bb_other_note`, 'seeded', 404, 'document_not_found', null, "a foreign encounter's"),
  row(`GET ${BB}/documents/doc_bb_note_gone`, 'seeded', 404, 'document_not_found', null, 'an unavailable document'),
  row(`GET ${BB}/documents/doc_bb_note_gone/audio`, 'seeded', 404, 'document_not_found', null, 'available before type'),
  row(`GET ${BB}/documents/doc_bb_intake`, 'seeded', 400, 'unsupported_document_type', null, 'an intake_form'),
  row(
    `GET ${BB}/documents/doc_bb_intake/transcript`,
    'seeded',
    400,
    'unsupported_document_type',
    null,
    'its transcript',
  ),
  row(`GET ${BB}/documents/doc_bb_intake/audio`, 'seeded', 400, 'unsupported_document_type', null, 'its audio'),
  row(
    `GET ${BB}/documents/doc_bb_note/transcript`,
    'seeded',
    400,
    'unsupported_document_type',
    null,
    "a note's transcript",
  ),
  row(`GET ${BB}/documents/doc_bb_note/audio`, 'seeded', 400, 'unsupported_document_type', null, "a note's audio"),
  row(`GET ${BB}/documents/doc_bb_amb_open/transcript`, 'seeded', 404, 'transcript_not_found', null, 'not finalized'),
  row(`GET ${BB}/documents/doc_bb_amb_none/transcript`, 'seeded', 404, 'transcript_not_found', null, 'no transcript'),
  row(`GET ${BB}/documents/doc_bb_amb_open/audio`, 'seeded', 404, 'audio_not_available_for_document', null, 'none'),
  row(`GET ${BB}/documents/doc_bb_amb_lost/audio`, 'seeded', 404, 'audio_not_found', null, 'object gone from storage'),
  row(`GET ${BB}/documents/doc_bb_amb_lost/transcript`, 'seeded', 200, null, null, '…its transcript still served'),

  // Section 6: a path id of any shape that is not found is a 404, never a 400 or 500.
  row(`GET ${E}/%00`, 'seeded', 404, 'encounter_not_found', null, 'id %00'),
  row(`GET ${E}/..`, 'seeded', 404, 'encounter_not_found', null, 'id ..'),
  row(`GET ${E}/.`, 'seeded', 404, 'encounter_not_found', null, 'id .'),
  row(`GET ${E}/%2e%2e`, 'seeded', 404, 'encounter_not_found', null, 'id %2e%2e'),
  row(`GET ${E}/énc_ü`, 'seeded', 404, 'encounter_not_found', null, 'id in raw UTF-8'),
  row(`GET ${E}/%C3%A9nc`, 'seeded', 404, 'encounter_not_found', null, 'id in encoded UTF-8'),
  row(`GET ${E}/%F0%9F%98%80`, 'seeded', 404, 'encounter_not_found', null, 'an emoji'),
  row(`GET ${E}/${LONG_ID}`, 'seeded', 404, 'encounter_not_found', null, 'an id of 10 kB'),
  row(`GET ${E}/enc%2Fx`, 'seeded', 404, 'encounter_not_found', null, 'an encoded slash'),
  row(`GET ${E}/%zz`, 'seeded', 404, 'encounter_not_found', null, 'a malformed escape'),
  row(`GET ${E}/%E0%A4`, 'seeded', 404, 'encounter_not_found', null, 'a cut-off UTF-8 escape'),
  row(`GET ${E}/abc%`, 'seeded', 404, 'encounter_not_found', null, 'a lone %'),
  row(`GET ${E}/'%20OR%201=1--`, 'seeded', 404, 'encounter_not_found', null, 'an SQL-looking id'),
  row(`GET ${E}/{enc};x=1`, 'seeded', 404, 'encounter_not_found', null, 'a semicolon is part of the id'),
  row(`GET ${E}/{enc}%2Fdocuments%2F{note}`, 'seeded', 404, 'encounter_not_found', null, 'a path in one segment'),
  row(`GET ${E}/{enc}/documents/%00`, 'seeded', 404, 'document_not_found', null, 'document id %00'),
  row(`GET ${E}/{enc}/documents/${LONG_ID}/transcript`, 'seeded', 404, 'document_not_found', null, '10 kB doc id'),
  row(`GET ${E}/{enc}/documents/..%2F..%2Fetc%2Fpasswd/audio`, 'seeded', 404, 'document_not_found', null, 'traversal'),
  row(`GET ${E}/%zz`, 'none', 401, 'missing_bearer', null, 'odd id without a key: the route matched, so 401'),

  // Section 6.5: media URLs, fetched without a key.
  row('GET {media}', 'none', 200, null, null, 'the audio URL: 200, audio/wav, the stored bytes', {
    check: (r) => {
      expect(r.header('content-type')).toBe('audio/wav');
      expect(r.header('content-length')).toBe(String(WAV.length));
      expect(r.body).toEqual(WAV);
    },
  }),
  row('GET {media}', 'none', 206, null, null, 'Range → 206 with Content-Range', {
    headers: ['Range: bytes=0-99'],
    check: (r) => {
      expect(r.header('content-range')).toBe(`bytes 0-99/${WAV.length}`);
      expect(r.header('content-length')).toBe('100');
      expect(r.body).toEqual(WAV.subarray(0, 100));
    },
  }),
  row('GET {media}', 'none', 206, null, null, 'a suffix Range', {
    headers: ['Range: bytes=-10'],
    check: (r) => expect(r.body).toEqual(WAV.subarray(WAV.length - 10)),
  }),
  row('HEAD {media}', 'none', 200, null, null, 'HEAD on the audio URL', {
    check: (r) => expect(r.header('content-length')).toBe(String(WAV.length)),
  }),
  row('GET {media}', 'none', 200, null, null, 'a stray Authorization header does not matter', auth('Bearer junk')),
  row('GET {media_bad_sig}', 'none', 404, 'media_url_invalid', null, 'a tampered signature'),
  row('GET {media_bad_exp}', 'none', 404, 'media_url_invalid', null, 'a tampered expiry'),
  row('GET {media_no_sig}', 'none', 404, 'media_url_invalid', null, 'no signature'),
  row('GET {media_two_sigs}', 'none', 404, 'media_url_invalid', null, 'the signature twice'),
  row('GET {media_other_object}', 'none', 404, 'media_url_invalid', null, "another object under this URL's signature"),
  row('GET {media_lost}', 'none', 404, 'media_url_invalid', null, 'a valid URL whose object is gone'),
  row('GET /media/v1/nothing?v=1&exp=9999999999&sig=abc', 'none', 404, 'media_url_invalid', null, 'an unknown token'),
];

// ---------------------------------------------------------------------------------------------------------------
// Start-up: three servers, the extra data, the keys, and the ids the rows refer to.
// ---------------------------------------------------------------------------------------------------------------
let dir: string;
const servers: Partial<Record<NonNullable<Row['server']>, ServedProcess>> = {};
const keys = {} as Record<Exclude<KeyName, 'none'>, string>;
const vars: Record<string, string> = {};
let ran = 0;
let passed = 0;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A well-formed key (section 3.1) that was never issued. */
function forgeKey(environment: 'test' | 'live'): string {
  let body = '';
  for (let i = 0; i < 32; i++) body += BASE62[randomInt(62)];
  const head = `ch_sk_${environment}_${body}`;
  let value = crc32(head) >>> 0;
  let checksum = '';
  while (value > 0) {
    checksum = BASE62[value % 62] + checksum;
    value = Math.floor(value / 62);
  }
  return head + checksum.padStart(6, '0');
}

const fill = (text: string) =>
  text
    .replace(/\{key:(\w+)\}/g, (_, name: string) => keys[name as keyof typeof keys] ?? `<${name}?>`)
    .replace(/\{(\w+)\}/g, (match, name: string) => vars[name] ?? match);

const cli = (args: readonly string[], env: Record<string, string> = {}) => chartheroJson(args, dir, env);
const PRODUCTION = { CHARTHERO_ENVIRONMENT: 'production', CHARTHERO_DIGEST_KEYS_FILE: './data/digest-keys.json' };

async function createKey(name: keyof typeof keys, args: readonly string[], env: Record<string, string> = {}) {
  const created = await cli(['key', 'create', ...args], env);
  keys[name] = created.secret as string;
  return created.id as string;
}

function get(path: string, key: string, server: ServedProcess = servers.sandbox!) {
  return curl(server.url + path, { headers: [`Authorization: Bearer ${key}`] });
}

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'charthero-blackbox-'));
  const sandbox = await serve({
    cwd: dir,
    args: ['--seed-if-empty'],
    waitFor: /test key \(shown once, store it now\): ch_sk_test_\w+/,
  });
  servers.sandbox = sandbox;
  keys.seeded = /test key \(shown once, store it now\): (ch_sk_test_\w+)/.exec(sandbox.stdout())![1]!;

  mkdirSync(join(dir, 'extra', 'audio'), { recursive: true });
  writeFileSync(join(dir, 'extra', 'audio', 'a.wav'), WAV);
  writeFileSync(join(dir, 'extra', 'audio', 'lost.wav'), tinyWav(500));
  writeFileSync(join(dir, 'extra', 'bb.ndjson'), `${EXTRA.map((record) => JSON.stringify(record)).join('\n')}\n`);
  await cli(['import', 'extra/bb.ndjson']);

  // A URL issued while the object exists; then the object disappears from storage.
  const lost = (await get(`${BB}/documents/doc_bb_amb_lost/audio`, keys.seeded)).json() as { audio_url: string };
  const lostUrl = new URL(lost.audio_url);
  vars.media_lost = lostUrl.pathname + lostUrl.search;
  const objects = join(dir, 'data', 'audio', 'org_sandbox');
  for (const file of readdirSync(objects).filter((name) => name.startsWith('doc_bb_amb_lost-'))) {
    rmSync(join(objects, file));
  }

  keys.forged = forgeKey('test');
  keys.forgedLive = forgeKey('live');
  vars.badchecksum = keys.seeded.slice(0, -1) + (keys.seeded.endsWith('A') ? 'B' : 'A');
  vars.prodprefix = keys.seeded.replace('ch_sk_test_', 'ch_sk_prod_');
  const all = ['--org', 'org_sandbox', '--scopes', 'all'];
  await Promise.all([
    createKey('revoked', all).then((id) => cli(['key', 'revoke', id])),
    createKey('disabled', all).then((id) => cli(['key', 'disable', id])),
    createKey('expired', [...all, '--expires-at', '2020-01-01T00:00:00Z']),
    createKey('noorg', ['--scopes', 'all']),
    createKey('narrow', ['--org', 'org_sandbox', '--scopes', 'encounters:read']),
    createKey('docsonly', ['--org', 'org_sandbox', '--scopes', 'encounters:read,documents:read']),
    createKey('slow', [...all, '--rate-limit', '1']),
    createKey('slowRevoked', [...all, '--rate-limit', '1']).then((id) => cli(['key', 'revoke', id])),
    createKey('slowOther', ['--org', 'org_bb_other', '--scopes', 'all', '--rate-limit', '1']),
    createKey('other', ['--org', 'org_bb_other', '--scopes', 'all']),
    createKey('live', all, PRODUCTION),
    (async () => {
      await cli(['org', 'allowlist', 'org_bb_routes']);
      await cli(['org', 'routes', 'org_bb_routes', '--enable', 'list_encounters']);
      await createKey('routes', ['--org', 'org_bb_routes', '--scopes', 'all']);
    })(),
    (async () => {
      await cli(['org', 'allowlist', 'org_bb_off']);
      await cli(['org', 'routes', 'org_bb_off', '--enable', 'all']);
      await cli(['org', 'api-keys', 'org_bb_off', '--off']);
      await createKey('off', ['--org', 'org_bb_off', '--scopes', 'all']);
    })(),
  ]);

  const [production, killswitch, nokeyring] = await Promise.all([
    serve({ cwd: dir, env: PRODUCTION }),
    serve({ cwd: dir, env: { CHARTHERO_API_KEYS_ENABLED: 'false' } }),
    // A keyring file named explicitly is never created: this instance cannot verify any key.
    serve({ cwd: dir, env: { CHARTHERO_DIGEST_KEYS_FILE: './data/missing-keyring.json' } }),
  ]);
  Object.assign(servers, { production, killswitch, nokeyring });

  // Ids a partner finds through the list: an encounter with a note and an ambient transcript that has a finalized
  // transcript and a recording, and another encounter.
  const list = (await get(`${E}?limit=100`, keys.seeded)).json() as {
    items: Array<{ encounter_id: string; documents: Array<{ document_id: string; schema_type: string }> }>;
  };
  for (const item of list.items) {
    if (item.encounter_id === 'enc_bb') continue;
    const amb = item.documents.find((document) => document.schema_type === 'ambient_transcript');
    const doc = item.documents.find((document) => document.schema_type === 'document');
    if (!amb || !doc || vars.enc) continue;
    const base = `${E}/${item.encounter_id}/documents/${amb.document_id}`;
    const [transcript, audio] = await Promise.all([
      get(`${base}/transcript`, keys.seeded),
      get(`${base}/audio`, keys.seeded),
    ]);
    if (transcript.status === 200 && audio.status === 200) {
      Object.assign(vars, { enc: item.encounter_id, amb: amb.document_id, note: doc.document_id });
    }
  }
  vars.enc2 = list.items.find((item) => item.encounter_id !== vars.enc && item.encounter_id !== 'enc_bb')!.encounter_id;
  expect(vars.enc, 'a seeded encounter with transcript and audio').toBeDefined();

  // The media URL of the imported recording, and tampered variants.
  const issued = (await get(`${BB}/documents/doc_bb_amb/audio`, keys.seeded)).json() as { audio_url: string };
  const url = new URL(issued.audio_url);
  vars.media = url.pathname + url.search;
  const sig = url.searchParams.get('sig')!;
  const variant = (change: (params: URLSearchParams) => void, pathname = url.pathname) => {
    const params = new URLSearchParams(url.search);
    change(params);
    return `${pathname}?${params}`;
  };
  vars.media_bad_sig = variant((params) => params.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)));
  vars.media_bad_exp = variant((params) => params.set('exp', String(Number(params.get('exp')) + 3600)));
  vars.media_no_sig = variant((params) => params.delete('sig'));
  vars.media_two_sigs = variant((params) => params.append('sig', sig));
  vars.media_other_object = variant(() => {}, lostUrl.pathname);
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server?.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  console.log(`curl contract: ${ran} cases run against the real server with curl, ${passed} matched CONTRACT.md`);
});

// ---------------------------------------------------------------------------------------------------------------
// Judging one row.
// ---------------------------------------------------------------------------------------------------------------
function title(row: Row): string {
  const method = row.head ? 'HEAD' : (row.method ?? 'GET');
  const path = row.path.length > 90 ? `${row.path.slice(0, 60)}…(${row.path.length} chars)` : row.path;
  const expected = row.reason ? `${row.status} ${row.reason}${row.field ? ` (${row.field})` : ''}` : `${row.status}`;
  const where = row.server && row.server !== 'sandbox' ? `[${row.server}] ` : '';
  return `${where}${method} ${path} key=${row.key ?? 'seeded'} → ${expected}: ${row.says}`;
}

/** Headers every response carries (sections 2 and 7). */
function expectCommonHeaders(row: Row, response: CurlResponse): void {
  expect(response.header('cache-control')).toBe('no-store');
  expect(response.header('x-content-type-options')).toBe('nosniff');
  expect(response.header('referrer-policy')).toBe('no-referrer');
  expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  if (row.bare) return;
  expect(response.headers.get('x-request-id')).toHaveLength(1);
  expect(response.header('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
  const media = row.path.startsWith('{media') || row.path.startsWith('/media/');
  if (!media || row.reason) expect(response.header('content-type')).toBe('application/json; charset=utf-8');
}

const AUTHENTICATED_FAILURES = new Set<Reason>([
  'org_scope_only_required',
  'organization_not_allowlisted',
  'route_not_allowed',
  'missing_scope',
  'cross_organization_denied',
  'demo_training_denied',
  'unsupported_filter',
  'invalid_limit',
  'invalid_offset',
  'invalid_sort',
  'invalid_query',
  'encounter_not_found',
  'document_not_found',
  'transcript_not_found',
  'audio_not_available_for_document',
  'audio_not_found',
  'unsupported_document_type',
  'rate_limited',
]);

/** The OpenAPI path of a public route a row's path falls under, or null. */
function routeTemplate(path: string): string | null {
  const bare = path.split('?')[0]!;
  const id = '[^/]+';
  const routes: Array<[RegExp, string]> = [
    [new RegExp(`^${E}$`), E],
    [new RegExp(`^${E}/${id}$`), `${E}/{encounter_id}`],
    [new RegExp(`^${E}/${id}/documents/${id}$`), `${E}/{encounter_id}/documents/{document_id}`],
    [new RegExp(`^${E}/${id}/documents/${id}/transcript$`), `${E}/{encounter_id}/documents/{document_id}/transcript`],
    [new RegExp(`^${E}/${id}/documents/${id}/audio$`), `${E}/{encounter_id}/documents/{document_id}/audio`],
  ];
  return routes.find(([pattern]) => pattern.test(bare))?.[1] ?? null;
}

interface OpenApiResponse {
  content: Record<string, { schema: { properties?: { reason_code?: { enum: string[] } } } }>;
}

const seen: Array<{ template: string; status: number; reason: Reason | null }> = [];

describe('CONTRACT.md, black box: curl against `charthero serve --seed-if-empty`', () => {
  it('has at least 60 cases', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(ROWS.map((row) => [title(row), row] as const))('%s', async (_title, row) => {
    ran++;
    const server = servers[row.server ?? 'sandbox']!;
    const key = row.key ?? 'seeded';
    const headers = [...(key === 'none' ? [] : [`Authorization: Bearer ${keys[key]}`]), ...(row.headers ?? [])].map(
      fill,
    );
    const url = server.url + fill(row.path);
    let response!: CurlResponse;
    for (let i = 0; i < (row.repeat ?? 1); i++) {
      response = await curl(url, { headers, method: row.method, head: row.head, data: row.data });
    }

    expect(response.status, response.text().slice(0, 300)).toBe(row.status);
    expectCommonHeaders(row, response);

    if (row.head || row.bare) {
      expect(response.body.length).toBe(0);
    } else if (row.reason) {
      const [status, error] = REGISTRY[row.reason];
      expect(status).toBe(row.status);
      const body = response.json() as Record<string, unknown>;
      expect(body).toEqual({ error, reason_code: row.reason, message: expect.any(String), field: row.field ?? null });
      expect((body.message as string).length).toBeGreaterThan(0);
      // No key material, internal ids, paths or stack traces in an error body.
      expect(body.message).not.toMatch(/ch_sk_|\bkey_[A-Za-z0-9]|\borg_|\/tmp\/|node_modules|\bat .*:\d+:\d+|SELECT /i);
    }

    // 401: WWW-Authenticate, with error="invalid_token" for all but missing_bearer.
    const expectedChallenge =
      row.status !== 401
        ? undefined
        : row.reason === 'missing_bearer'
          ? 'Bearer realm="charthero"'
          : 'Bearer realm="charthero", error="invalid_token"';
    expect(response.header('www-authenticate')).toBe(expectedChallenge);
    expect(response.header('allow')).toBe(row.status === 405 ? 'GET, HEAD' : undefined);
    if (row.status === 429 || row.status === 503) expect(response.header('retry-after')).toMatch(/^[1-9]\d*$/);
    else expect(response.header('retry-after')).toBeUndefined();

    // Section 7: every authenticated response carries RateLimit-Policy and RateLimit; unauthenticated ones do not.
    const authenticated =
      key !== 'none' &&
      !row.path.startsWith('/healthz') &&
      (row.status === 200 || (row.reason !== undefined && AUTHENTICATED_FAILURES.has(row.reason)));
    if (authenticated) {
      expect(response.header('ratelimit-policy')).toBeDefined();
      expect(response.header('ratelimit')).toBeDefined();
    } else if (row.status === 401 || row.reason === 'route_not_found' || row.reason === 'method_not_allowed') {
      expect(response.header('ratelimit')).toBeUndefined();
    }

    row.check?.(response);
    const template = routeTemplate(row.path);
    if (template && !row.method && !row.bare && row.reason !== 'route_not_found') {
      seen.push({ template, status: row.status, reason: row.reason ?? null });
    }
    passed++;
  });

  it('every answer seen on a public route is documented for that operation in the OpenAPI artifact', async () => {
    const document = (await curl(`${servers.sandbox!.url}/openapi/v1/openapi.json`)).json() as {
      paths: Record<string, { get: { responses: Record<string, OpenApiResponse> } }>;
    };
    expect(seen.length).toBeGreaterThan(100);
    const undocumented = seen.filter(({ template, status, reason }) => {
      const response = document.paths[template]?.get.responses[String(status)];
      if (!response) return true;
      if (reason === null) return false;
      return !response.content['application/json']?.schema.properties?.reason_code?.enum.includes(reason);
    });
    expect(undocumented).toEqual([]);
  });
});
