/**
 * GET /external/v1/encounters → 422 (CONTRACT.md 2.1 and section 5): invalid_limit, invalid_offset, invalid_sort,
 * invalid_query, checked in that order whatever the order of the keys in the request.
 */
import { describe, expect, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { auth, OK_URL } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

const URL = OK_URL.list_encounters;

describe('list_encounters → 422', () => {
  const h = useHarness();

  const get = (query: string) => h.get(`${URL}?${query}`, auth(h));

  describe('invalid_limit: limit is a canonical decimal integer 1–100, given once', () => {
    it.each([
      ['zero', 'limit=0'],
      ['above 100', 'limit=101'],
      ['far above 100 (no overflow)', 'limit=99999999999999999999999999'],
      ['negative', 'limit=-1'],
      ['a plus sign (encoded)', 'limit=%2B5'],
      ['a leading zero', 'limit=05'],
      ['a decimal point', 'limit=5.0'],
      ['an exponent', 'limit=1e1'],
      ['hexadecimal', 'limit=0x10'],
      ['a leading space', 'limit=%205'],
      ['a trailing space ("+")', 'limit=5+'],
      ['a word', 'limit=ten'],
      ['empty', 'limit='],
      ['a key without "=" (blank)', 'limit'],
      ['a NUL byte', 'limit=5%00'],
      ['given twice', 'limit=5&limit=6'],
      ['given twice with the same value', 'limit=5&limit=5'],
      ['a "?" inside the value', 'limit=5?x=1'],
      ['";" is not a separator', 'limit=5;offset=1'],
      ['a malformed % escape stays literal', 'limit=%'],
    ])('%s (?%s)', async (_name, query) => {
      expectError(await get(query), { reason_code: 'invalid_limit', field: 'limit' });
    });
  });

  describe('invalid_offset: offset is a canonical decimal integer 0–10000, given once', () => {
    it.each([
      ['negative', 'offset=-1'],
      ['above 10000', 'offset=10001'],
      ['far above 10000 (no overflow)', 'offset=184467440737095516160'],
      ['a leading zero', 'offset=00'],
      ['a decimal point', 'offset=1.5'],
      ['a plus sign', 'offset=%2B1'],
      ['empty', 'offset='],
      ['a key without "=" (blank)', 'offset'],
      ['given twice', 'offset=1&offset=2'],
    ])('%s (?%s)', async (_name, query) => {
      expectError(await get(query), { reason_code: 'invalid_offset', field: 'offset' });
    });
  });

  describe('invalid_sort: sort_order is exactly asc or desc (case-sensitive), given once', () => {
    it.each([
      ['upper case', 'sort_order=ASC'],
      ['mixed case', 'sort_order=Desc'],
      ['a longer word', 'sort_order=ascending'],
      ['a surrounding space', 'sort_order=+asc'],
      ['empty', 'sort_order='],
      ['a key without "=" (blank)', 'sort_order'],
      ['a NUL byte', 'sort_order=asc%00'],
      ['given twice', 'sort_order=asc&sort_order=asc'],
    ])('%s (?%s)', async (_name, query) => {
      expectError(await get(query), { reason_code: 'invalid_sort', field: 'sort_order' });
    });
  });

  describe('invalid_query: start_at and end_at are RFC 3339 date-times with an offset', () => {
    const BAD_DATES = [
      ['a date without time', '2026-05-01'],
      ['a time without offset', '2026-05-01T00:00:00'],
      ['an impossible date', '2026-02-30T00:00:00Z'],
      ['29 February of a common year', '2026-02-29T00:00:00Z'],
      ['month 13', '2026-13-01T00:00:00Z'],
      ['hour 24', '2026-05-01T24:00:00Z'],
      ['minute 60', '2026-05-01T00:60:00Z'],
      ['second 60', '2026-05-01T23:59:60Z'],
      ['year 0000', '0000-01-01T00:00:00Z'],
      ['a five-digit year', '10000-01-01T00:00:00Z'],
      ['an instant in year 10000 once its offset is applied', '9999-12-31T23:59:59-23:59'],
      ['an instant in year 0000 once its offset is applied', '0001-01-01T00:00:00%2B00:01'],
      ['an offset without colon', '2026-05-01T00:00:00+0200'],
      ['an offset hour above 23', '2026-05-01T00:00:00%2B24:00'],
      ['a space instead of T', '2026-05-01%2000:00:00Z'],
      ['epoch seconds', '1780000000'],
      ['a word', 'yesterday'],
      ['empty', ''],
    ];

    it.each(BAD_DATES)('start_at: %s (%s)', async (_name, value) => {
      expectError(await get(`start_at=${value}`), { reason_code: 'invalid_query', field: 'start_at' });
    });

    it.each(BAD_DATES)('end_at: %s (%s)', async (_name, value) => {
      expectError(await get(`end_at=${value}`), { reason_code: 'invalid_query', field: 'end_at' });
    });

    it.each([
      ['start_at', 'start_at'],
      ['end_at', 'end_at'],
    ])('a key without "=" (blank) or given twice: %s', async (key, field) => {
      expectError(await get(key), { reason_code: 'invalid_query', field });
      expectError(await get(`${key}=2026-05-01T00:00:00Z&${key}=2026-05-01T00:00:00Z`), {
        reason_code: 'invalid_query',
        field,
      });
    });

    it('an unencoded "+" offset arrives as a space: invalid_query, with a hint in the message', async () => {
      const response = await get('start_at=2026-05-01T00:00:00+02:00');
      expectError(response, { reason_code: 'invalid_query', field: 'start_at' });
      expect(JSON.parse(response.body).message).toMatch(/%2B/);
    });

    it.each([
      ['start_at after end_at', 'start_at=2026-07-01T00:00:00Z&end_at=2026-06-01T00:00:00Z'],
      ['start_at equal to end_at', 'start_at=2026-06-01T00:00:00Z&end_at=2026-06-01T00:00:00Z'],
      ['equal instants in different offsets', 'start_at=2026-06-01T02:00:00%2B02:00&end_at=2026-06-01T00:00:00Z'],
      ['one millisecond apart, reversed', 'start_at=2026-06-01T00:00:00.001Z&end_at=2026-06-01T00:00:00Z'],
    ])('a bad range (%s) → field null', async (_name, query) => {
      expectError(await get(query), { reason_code: 'invalid_query', field: null });
    });
  });

  describe('order of checks: limit, offset, sort_order, start_at, end_at, then the range', () => {
    it.each([
      ['offset=-1&limit=0', 'invalid_limit', 'limit'],
      ['sort_order=up&offset=-1', 'invalid_offset', 'offset'],
      ['end_at=bad&start_at=bad&sort_order=up', 'invalid_sort', 'sort_order'],
      ['end_at=bad&start_at=bad', 'invalid_query', 'start_at'],
      ['end_at=bad&start_at=2026-07-01T00:00:00Z', 'invalid_query', 'end_at'],
      ['limit=5&limit=6&offset=x', 'invalid_limit', 'limit'],
    ] as const)('?%s → %s (field %s)', async (query, reason_code, field) => {
      expectError(await get(query), { reason_code, field });
    });
  });
});
