import { describe, expect, it } from 'vitest';
import { PublicError } from '../../../src/contract/errors.js';
import { routeById } from '../../../src/contract/routes.js';
import { formDecode, type ListQuery, parseFormPairs, parseRouteQuery } from '../../../src/query/list-query.js';
import { makeToken } from '../../support/keys.js';

const LIST = routeById('list_encounters');
/** A well-formed key: 49 characters, short enough that only the key-prefix rule keeps it out of `field`. */
const LIVE_KEY = makeToken('live');
const DETAIL_ROUTES = (['get_encounter', 'get_document', 'get_transcript', 'get_audio_url'] as const).map(routeById);
const DEFAULTS: ListQuery = { limit: 50, offset: 0, sortOrder: 'desc', startMs: null, endMs: null };

type Code = 'unsupported_filter' | 'invalid_limit' | 'invalid_offset' | 'invalid_sort' | 'invalid_query';
const STATUS: Record<Code, number> = {
  unsupported_filter: 400,
  invalid_limit: 422,
  invalid_offset: 422,
  invalid_sort: 422,
  invalid_query: 422,
};

function thrown(fn: () => unknown): PublicError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PublicError);
    return err as PublicError;
  }
  throw new Error('expected a PublicError, got a result');
}

function expectError(query: string, code: Code, field: string | null, route = LIST): PublicError {
  const err = thrown(() => parseRouteQuery(route, query));
  expect(err.toBody()).toEqual({
    error: 'api_key_validation_failed',
    reason_code: code,
    message: expect.any(String),
    field,
  });
  expect(err.status).toBe(STATUS[code]);
  return err;
}

const ms = (iso: string) => Date.parse(iso);

const okCases: Array<[string, Partial<ListQuery>]> = [
  ['', {}],
  ['&', {}],
  ['&&limit=5&&', { limit: 5 }],
  ['limit=1', { limit: 1 }],
  ['limit=100', { limit: 100 }],
  ['%6Cimit=5', { limit: 5 }],
  ['offset=0', { offset: 0 }],
  ['offset=10000', { offset: 10000 }],
  ['sort_order=asc', { sortOrder: 'asc' }],
  ['sort_order=desc', { sortOrder: 'desc' }],
  ['start_at=2024-02-29T00:00:00Z', { startMs: ms('2024-02-29T00:00:00Z') }],
  ['start_at=2026-05-01T00:00:00%2B02:00', { startMs: ms('2026-04-30T22:00:00Z') }],
  ['end_at=2026-05-01T00:00:00-05:30', { endMs: ms('2026-05-01T05:30:00Z') }],
  ['start_at=2026-05-01T00:00:00.123Z', { startMs: ms('2026-05-01T00:00:00.123Z') }],
  ['start_at=0001-01-01T00:00:00Z', { startMs: ms('0001-01-01T00:00:00Z') }],
  ['end_at=9999-12-31T23:59:59Z', { endMs: ms('9999-12-31T23:59:59Z') }],
  // The edges of the range, reached through an offset.
  ['start_at=0001-01-01T00:01:00%2B00:01', { startMs: ms('0001-01-01T00:00:00Z') }],
  ['end_at=9999-12-31T23:58:59.999-00:01', { endMs: ms('9999-12-31T23:59:59.999Z') }],
  // Decision: lower-case `t` and `z` are accepted (RFC 3339 section 5.6 allows them; parseTimestamp is shared with the import).
  ['start_at=2026-05-01t00:00:00z', { startMs: ms('2026-05-01T00:00:00Z') }],
  [
    'end_at=2026-06-01T00:00:00Z&sort_order=asc&start_at=2026-05-01T00:00:00Z&offset=20&limit=10',
    {
      limit: 10,
      offset: 20,
      sortOrder: 'asc',
      startMs: ms('2026-05-01T00:00:00Z'),
      endMs: ms('2026-06-01T00:00:00Z'),
    },
  ],
  // Equal instants written with different offsets compare as instants.
  [
    'start_at=2026-05-01T00:00:00Z&end_at=2026-05-01T02:00:01%2B02:00',
    { startMs: ms('2026-05-01T00:00:00Z'), endMs: ms('2026-05-01T00:00:01Z') },
  ],
];

describe('parseRouteQuery: valid queries', () => {
  it.each(okCases)('%j', (query, expected) => {
    expect(parseRouteQuery(LIST, query)).toEqual({ ...DEFAULTS, ...expected });
  });

  it.each(DETAIL_ROUTES.map((route) => [route.id, route] as const))(
    '%s with no query gets the defaults',
    (_, route) => {
      expect(parseRouteQuery(route, '')).toEqual(DEFAULTS);
      expect(parseRouteQuery(route, '&&')).toEqual(DEFAULTS);
    },
  );
});

const errorCases: Array<[string, Code, string | null]> = [
  // limit
  ['limit=', 'invalid_limit', 'limit'],
  ['limit', 'invalid_limit', 'limit'],
  ['limit=5&limit=6', 'invalid_limit', 'limit'],
  ['limit=5&limit=5', 'invalid_limit', 'limit'],
  ['limit=5&%6Cimit=6', 'invalid_limit', 'limit'],
  ['limit=05', 'invalid_limit', 'limit'],
  ['limit=+5', 'invalid_limit', 'limit'],
  ['limit=%2B5', 'invalid_limit', 'limit'],
  ['limit=-5', 'invalid_limit', 'limit'],
  ['limit=1e2', 'invalid_limit', 'limit'],
  ['limit=1.0', 'invalid_limit', 'limit'],
  ['limit= 5', 'invalid_limit', 'limit'],
  ['limit=5%20', 'invalid_limit', 'limit'],
  ['limit=0x10', 'invalid_limit', 'limit'],
  ['limit=%EF%BC%95', 'invalid_limit', 'limit'], // fullwidth digit five
  ['limit=0', 'invalid_limit', 'limit'],
  ['limit=101', 'invalid_limit', 'limit'],
  ['limit=99999999999999999999999', 'invalid_limit', 'limit'],
  ['limit=%zz', 'invalid_limit', 'limit'],
  ['limit=%', 'invalid_limit', 'limit'],
  // offset
  ['offset=10001', 'invalid_offset', 'offset'],
  ['offset=-1', 'invalid_offset', 'offset'],
  ['offset=00', 'invalid_offset', 'offset'],
  ['offset=', 'invalid_offset', 'offset'],
  ['offset=1&offset=2', 'invalid_offset', 'offset'],
  ['offset=99999999999999999999999999999999', 'invalid_offset', 'offset'],
  // sort_order
  ['sort_order=ASC', 'invalid_sort', 'sort_order'],
  ['sort_order=Desc', 'invalid_sort', 'sort_order'],
  ['sort_order=%20asc', 'invalid_sort', 'sort_order'],
  ['sort_order=+asc', 'invalid_sort', 'sort_order'],
  ['sort_order=', 'invalid_sort', 'sort_order'],
  ['sort_order', 'invalid_sort', 'sort_order'],
  ['sort_order=asc&sort_order=asc', 'invalid_sort', 'sort_order'],
  // start_at / end_at
  ['start_at=', 'invalid_query', 'start_at'],
  ['start_at', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T00:00:00', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T00:00Z', 'invalid_query', 'start_at'],
  ['start_at=2026-02-30T00:00:00Z', 'invalid_query', 'start_at'],
  ['start_at=2023-02-29T00:00:00Z', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T24:00:00Z', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T23:60:00Z', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T23:59:60Z', 'invalid_query', 'start_at'],
  ['start_at=0000-01-01T00:00:00Z', 'invalid_query', 'start_at'],
  ['start_at=10000-01-01T00:00:00Z', 'invalid_query', 'start_at'],
  // Valid fields, but the instant leaves 0001–9999 once the offset is applied.
  ['start_at=9999-12-31T23:59:59-23:59', 'invalid_query', 'start_at'],
  ['start_at=9999-12-31T23:59:59-00:01', 'invalid_query', 'start_at'],
  ['end_at=0001-01-01T00:00:00%2B00:01', 'invalid_query', 'end_at'],
  ['end_at=0001-01-01T23:58:00%2B23:59', 'invalid_query', 'end_at'],
  ['start_at=2026-05-01T00:00:00%2B24:00', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01 00:00:00Z', 'invalid_query', 'start_at'],
  ['start_at=1714521600', 'invalid_query', 'start_at'],
  ['start_at=2026-05-01T00:00:00Z&start_at=2026-05-01T00:00:00Z', 'invalid_query', 'start_at'],
  ['end_at=2026-13-01T00:00:00Z', 'invalid_query', 'end_at'],
  ['end_at=2026-05-01T00:00:00+02:00', 'invalid_query', 'end_at'],
  // range
  ['start_at=2026-05-02T00:00:00Z&end_at=2026-05-01T00:00:00Z', 'invalid_query', null],
  ['start_at=2026-05-01T00:00:00Z&end_at=2026-05-01T00:00:00Z', 'invalid_query', null],
  ['start_at=2026-05-01T02:00:00%2B02:00&end_at=2026-05-01T00:00:00Z', 'invalid_query', null],
  // order of checks: unsupported keys first (first in request order), then limit, offset, sort_order, start_at, end_at
  ['offset=x&limit=x', 'invalid_limit', 'limit'],
  ['end_at=x&start_at=x&sort_order=x&offset=x', 'invalid_offset', 'offset'],
  ['end_at=x&start_at=x&sort_order=x', 'invalid_sort', 'sort_order'],
  ['end_at=x&start_at=x', 'invalid_query', 'start_at'],
  ['end_at=x&start_at=2026-05-02T00:00:00Z', 'invalid_query', 'end_at'],
  ['foo=1&limit=x', 'unsupported_filter', 'foo'],
  ['limit=x&foo=1', 'unsupported_filter', 'foo'],
  ['limit=5&bar&foo=1', 'unsupported_filter', 'bar'],
  ['Limit=5', 'unsupported_filter', 'Limit'],
  ['limit%3D5=', 'unsupported_filter', 'limit=5'],
  ['+limit=5', 'unsupported_filter', ' limit'],
  ['=5', 'unsupported_filter', null], // Decision: an empty name is not echoed.
  [`${'k'.repeat(64)}=1`, 'unsupported_filter', 'k'.repeat(64)],
  [`${'k'.repeat(65)}=1`, 'unsupported_filter', null],
  ['a%00b=1', 'unsupported_filter', null],
  ['a%7Fb=1', 'unsupported_filter', null],
  ['a%C2%85b=1', 'unsupported_filter', null], // U+0085 (C1)
  ['a%0Ab=1', 'unsupported_filter', null],
  ['a%E2%80%AEb=1', 'unsupported_filter', null], // U+202E right-to-left override
  ['a%E2%80%A8b=1', 'unsupported_filter', null], // U+2028 line separator
  ['%EF%BB%BFlimit=5', 'unsupported_filter', null], // a BOM is kept, and it is a format character
  ['caf%C3%A9=1', 'unsupported_filter', 'café'],
  // malformed escapes stay literal (or become U+FFFD for bad UTF-8) and never throw anything else
  ['%zz=1', 'unsupported_filter', '%zz'],
  ['%=1', 'unsupported_filter', '%'],
  ['%', 'unsupported_filter', '%'],
  ['%4', 'unsupported_filter', '%4'],
  ['%E0%A4%A=1', 'unsupported_filter', null], // truncated UTF-8 → U+FFFD, then a literal "%A"
  ['%FF=1', 'unsupported_filter', null],
  ['%ED%A0%80=1', 'unsupported_filter', null], // an encoded lone surrogate is invalid UTF-8
  // A pasted API key (or anything carrying the key prefix) is never echoed, whatever its length or case.
  [`${LIVE_KEY}=1`, 'unsupported_filter', null],
  [`${LIVE_KEY}`, 'unsupported_filter', null],
  ['ch_sk_=1', 'unsupported_filter', null],
  ['x_CH_SK_y=1', 'unsupported_filter', null],
  ['token%3Dch_sk_test_abc=1', 'unsupported_filter', null],
  ['ch%5Fsk%5Ftest=1', 'unsupported_filter', null],
  ['ch_s=1', 'unsupported_filter', 'ch_s'],
];

describe('parseRouteQuery: errors', () => {
  it.each(errorCases)('%j → %s (field %j)', (query, code, field) => {
    expectError(query, code, field);
  });

  it.each(DETAIL_ROUTES.map((route) => [route.id, route] as const))('%s rejects any key at all', (_, route) => {
    expectError('x=1', 'unsupported_filter', 'x', route);
    expectError('limit=5', 'unsupported_filter', 'limit', route);
    expectError('limit', 'unsupported_filter', 'limit', route);
  });

  it('hints that + must be percent-encoded when an offset arrived with a space for its sign', () => {
    const start = expectError('start_at=2026-05-01T00:00:00+02:00', 'invalid_query', 'start_at');
    expect(start.message).toContain('%2B');
    const end = expectError('end_at=2026-05-01T00:00:00.5%2002:00', 'invalid_query', 'end_at');
    expect(end.message).toContain('%2B');
    // Also when the rest is wrong too: the space is still the first thing to fix.
    expect(expectError('start_at=2026-02-30T00:00:00+02:00', 'invalid_query', 'start_at').message).toContain('%2B');
    // No hint for unrelated mistakes.
    expect(expectError('start_at=2026-05-01', 'invalid_query', 'start_at').message).not.toContain('%2B');
    expect(expectError('start_at=2026-05-01T00:00:00-24:00', 'invalid_query', 'start_at').message).not.toContain('%2B');
  });

  it('never echoes the value in the message', () => {
    const secret = 'zzSECRETzz';
    for (const key of ['limit', 'offset', 'sort_order', 'start_at', 'end_at']) {
      const err = thrown(() => parseRouteQuery(LIST, `${key}=${secret}`));
      expect(err.message).not.toContain(secret);
    }
    const err = thrown(() => parseRouteQuery(LIST, `${secret}=1`));
    expect(err.message).not.toContain(secret);
  });

  it('handles a lone surrogate in the raw string without throwing anything but PublicError', () => {
    expectError('\uD800=1', 'unsupported_filter', null);
    expectError('limit=\uDC00', 'invalid_limit', 'limit');
  });
});

describe('formDecode / parseFormPairs', () => {
  it.each([
    ['a+b', 'a b'],
    ['a%2Bb', 'a+b'],
    ['%41%62', 'Ab'],
    ['%zz', '%zz'],
    ['%', '%'],
    ['%%41', '%A'],
    ['%4g', '%4g'],
    ['%E2%82%AC', '€'],
    ['%E0%A4%A', '\uFFFD%A'],
    ['\uD800', '\uFFFD'],
    ['%EF%BB%BFx', '\uFEFFx'],
  ])('%j → %j', (input, expected) => {
    expect(formDecode(input)).toBe(expected);
  });

  it('splits on & (skipping empty segments) and at the first =', () => {
    expect(parseFormPairs('a=1&&b&c==2&=3&')).toEqual([
      ['a', '1'],
      ['b', ''],
      ['c', '=2'],
      ['', '3'],
    ]);
  });
});
