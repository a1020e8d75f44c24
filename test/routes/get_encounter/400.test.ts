/**
 * GET /external/v1/encounters/{encounter_id} → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, OK_URL } from '../../support/requests.js';

const ROUTE = 'get_encounter';
const URL = OK_URL[ROUTE];

describe('get_encounter → 400', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('unsupported_filter: the route accepts no query key', () => {
    it.each([
      ['an unknown key', 'x=1', 'x'],
      ['an unknown key without "="', 'x', 'x'],
      ['a key the list route accepts', 'limit=5', 'limit'],
      ['another list key', 'sort_order=asc', 'sort_order'],
      ['the first of several keys', 'b=1&a=2', 'b'],
      ['a percent-encoded key', '%78=1', 'x'],
      ['a 65-character key (not echoed)', `${'k'.repeat(65)}=1`, null],
      ['an empty key', '=', null],
      ['a key with a control character', '%00=1', null],
    ])('%s (?%s) → field %j', async (_name, query, field) => {
      expectError(await h.get(`${URL}?${query}`, auth(h)), { reason_code: 'unsupported_filter', field });
    });

    it.each([
      '/external/v1/encounters/enc_unknown',
      '/external/v1/encounters/enc_b1',
      '/external/v1/encounters/enc_demo',
      '/external/v1/encounters/enc_unavailable',
    ])('comes before the resource checks: %s?x=1', async (path) => {
      expectError(await h.get(`${path}?x=1`, auth(h)), { reason_code: 'unsupported_filter', field: 'x' });
    });
  });
});
