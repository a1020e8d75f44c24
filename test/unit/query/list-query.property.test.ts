import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PublicError } from '../../../src/contract/errors.js';
import { routeById } from '../../../src/contract/routes.js';
import { type ListQuery, parseRouteQuery } from '../../../src/query/list-query.js';
import { formatTimestamp } from '../../../src/time.js';

const LIST = routeById('list_encounters');
const DETAIL = routeById('get_document');
const QUERY_CODES = ['unsupported_filter', 'invalid_limit', 'invalid_offset', 'invalid_sort', 'invalid_query'];
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Runs the parser and checks the outcome obeys the contract, whatever the input. */
function checkOutcome(route: typeof LIST, raw: string): void {
  let result: ListQuery;
  try {
    result = parseRouteQuery(route, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(PublicError);
    const error = err as PublicError;
    expect(QUERY_CODES).toContain(error.code);
    const body = error.toBody();
    expect(body.error).toBe('api_key_validation_failed');
    expect(body.message.length).toBeGreaterThan(0);
    expect(CONTROL.test(body.message)).toBe(false);
    if (body.field !== null) {
      expect(body.field.length).toBeLessThanOrEqual(64);
      expect(body.field.length).toBeGreaterThan(0);
      expect(CONTROL.test(body.field)).toBe(false);
      expect(LONE_SURROGATE.test(body.field)).toBe(false);
    }
    const expectedField: Record<string, string | null | undefined> = {
      invalid_limit: 'limit',
      invalid_offset: 'offset',
      invalid_sort: 'sort_order',
    };
    if (error.code in expectedField) expect(body.field).toBe(expectedField[error.code]);
    if (error.code === 'invalid_query') expect([null, 'start_at', 'end_at']).toContain(body.field);
    if (route !== LIST) expect(error.code).toBe('unsupported_filter');
    return;
  }
  expect(Number.isInteger(result.limit) && result.limit >= 1 && result.limit <= 100).toBe(true);
  expect(Number.isInteger(result.offset) && result.offset >= 0 && result.offset <= 10000).toBe(true);
  expect(['asc', 'desc']).toContain(result.sortOrder);
  for (const value of [result.startMs, result.endMs]) {
    if (value !== null) expect(Number.isFinite(value)).toBe(true);
  }
  if (result.startMs !== null && result.endMs !== null) expect(result.startMs).toBeLessThan(result.endMs);
}

const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) });

const fragment = fc.oneof(
  fc.constantFrom(
    'limit',
    'offset',
    'sort_order',
    'start_at',
    'end_at',
    '%6Cimit',
    'Limit',
    'foo',
    '',
    '=',
    '&',
    '+',
    '%',
    '%2B',
    '%20',
    '%00',
    '%7F',
    '%C2%85',
    '%E0%A4%A',
    '%FF',
    '%zz',
    '0',
    '1',
    '05',
    '50',
    '100',
    '101',
    '10000',
    '99999999999999999999',
    '-1',
    '1e2',
    'asc',
    'desc',
    'ASC',
    '2026-05-01T00:00:00Z',
    '2026-05-01T00:00:00%2B02:00',
    '2025-12-31T23:00:00-05:00',
    '2026-06-01t00:00:00.5z',
    '2026-05-01T00:00:00+02:00',
    '2026-02-30T00:00:00Z',
    '2026-05-01',
    '\uD800',
    'k'.repeat(65),
  ),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

// Mostly accepted keys (so the value checks are reached), sometimes anything; values from the same fragments.
const key = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('limit', 'offset', 'sort_order', 'start_at', 'end_at') },
  { weight: 1, arbitrary: fragment },
);
const value = fc.array(fragment, { minLength: 0, maxLength: 2 }).map((parts) => parts.join(''));
const pairQuery = fc
  .array(
    fc
      .tuple(key, fc.integer({ min: 0, max: 9 }), value)
      .map(([name, shape, text]) => (shape === 0 ? name : `${name}=${text}`)),
    { maxLength: 6 },
  )
  .map((segments) => segments.join('&'));

describe('parseRouteQuery properties', () => {
  it('never throws anything but a contract PublicError for arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'binary-ascii' }),
          anyUtf16,
        ),
        (raw) => {
          checkOutcome(LIST, raw);
          checkOutcome(DETAIL, raw);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws anything but a contract PublicError for key=value sequences of interesting fragments', () => {
    fc.assert(
      fc.property(pairQuery, (raw) => {
        checkOutcome(LIST, raw);
        checkOutcome(DETAIL, raw);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips valid values (and rejects only the range when start_at >= end_at)', () => {
    // Whole seconds or milliseconds, in any valid offset, a day inside 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999Z, so any offset keeps the local year in range.
    const DAY = 86_400_000;
    const anyMs = fc.integer({ min: -62_135_596_800_000 + DAY, max: 253_402_300_799_999 - DAY });
    const instant = fc.oneof(
      anyMs,
      anyMs.map((value) => Math.floor(value / 1000) * 1000),
    );
    const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    const encode = (epochMs: number, offset: number): string => {
      const local = formatTimestamp(epochMs + offset * 60_000).slice(0, -1); // drop the Z
      const sign = offset < 0 ? '-' : '+';
      const abs = Math.abs(offset);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      return offset === 0 ? `${local}Z` : `${local}${encodeURIComponent(sign)}${hh}:${mm}`;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 10000 }),
        fc.constantFrom('asc', 'desc' as const),
        fc.option(fc.tuple(instant, offsetMinutes)),
        fc.option(fc.tuple(instant, offsetMinutes)),
        fc.boolean(),
        fc.boolean(),
        (limit, offset, sortOrder, start, end, shuffle, tie) => {
          // `tie`: the same instant for both ends (possibly written with different offsets), which is a bad range.
          const startMs = start?.[0] ?? null;
          const endMs = end ? (tie && start ? start[0] : end[0]) : null;
          const segments = [`limit=${limit}`, `offset=${offset}`, `sort_order=${sortOrder}`];
          if (start) segments.push(`start_at=${encode(start[0], start[1])}`);
          if (end && endMs !== null) segments.push(`end_at=${encode(endMs, end[1])}`);
          if (shuffle) segments.reverse();
          const raw = segments.join('&');
          if (startMs !== null && endMs !== null && startMs >= endMs) {
            // Every value is valid, so only the range check can fail.
            expect(() => parseRouteQuery(LIST, raw)).toThrow(
              expect.objectContaining({ code: 'invalid_query', field: null }),
            );
          } else {
            expect(parseRouteQuery(LIST, raw)).toEqual({ limit, offset, sortOrder, startMs, endMs });
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('completes on 100 kB query strings', () => {
    const big = 100_000;
    const inputs = [
      'a'.repeat(big),
      `limit=${'9'.repeat(big)}`,
      `offset=${'1'.repeat(big)}`,
      `sort_order=${'a'.repeat(big)}`,
      `start_at=2026-05-01T00:00:00.${'1'.repeat(big)}x`,
      `start_at=${'T00:00:00.1'.repeat(big / 11)}`,
      `start_at=${'2026-05-01T00:00:00'.repeat(big / 19)} 02:00`,
      '&'.repeat(big),
      '%'.repeat(big),
      '%E0'.repeat(big / 3),
      'limit=1&'.repeat(big / 8),
      `${'x=1&'.repeat(big / 4)}`,
      '+'.repeat(big),
    ];
    for (const raw of inputs) {
      expect(raw.length).toBeGreaterThan(big - 20);
      checkOutcome(LIST, raw);
      checkOutcome(DETAIL, raw);
    }
  });
});
