/**
 * GET /external/v1/encounters → 400 unsupported_filter (CONTRACT.md 2.1, step 11 of section 4): a query key the
 * route does not accept; `field` names the first such key in request order when it is safe to echo.
 */
import { describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { makeToken } from '../../support/keys.js';
import { auth, OK_URL } from '../../support/requests.js';
import { itRefusesQueryKeys } from '../../support/route-suites/unsupported-query.js';
import { useHarness } from '../../support/use-harness.js';

const URL = OK_URL.list_encounters;
const KEY_64 = 'k'.repeat(64);
const KEY_65 = 'k'.repeat(65);

describe('list_encounters → 400 unsupported_filter', () => {
  const h = useHarness();

  itRefusesQueryKeys(h, URL, [
    ['an unknown key', 'x=1', 'x'],
    ['an unknown key without "="', 'x', 'x'],
    ['an unknown key with an empty value', 'x=', 'x'],
    ['an accepted key in another case', 'LIMIT=5', 'LIMIT'],
    ['a near miss', 'sort=asc', 'sort'],
    ['a bracketed key', 'page[size]=5', 'page[size]'],
    ['the first unsupported key in request order', 'limit=5&foo=1&bar=2', 'foo'],
    ['the first unsupported key in request order (reversed)', 'bar=2&foo=1', 'bar'],
    ['a percent-encoded key (decoded before matching)', '%66oo=1', 'foo'],
    ['a "+" in a key (decoded as a space)', 'a+b=1', 'a b'],
    ['a non-ASCII key', '%C3%A9t%C3%A9=1', 'été'],
    ['a 64-character key (echoed)', `${KEY_64}=1`, KEY_64],
    ['a 65-character key (not echoed)', `${KEY_65}=1`, null],
    ['an empty key', '=1', null],
    ['a key with a control character', 'a%01b=1', null],
    ['a key with a tab', 'a%09b=1', null],
    ['a key with a C1 control character', 'a%C2%85b=1', null],
    ['a key with a zero-width space (format character)', 'a%E2%80%8Bb=1', null],
    ['a key that is invalid UTF-8', 'a%FFb=1', null],
    // No body ever echoes key material (CONTRACT.md section 2), even a key short enough to be echoed otherwise.
    ['a pasted API key as the key', `${makeToken('test')}=1`, null],
    ['a pasted API key inside a longer key', `token_${makeToken('live')}`, null],
    ['the key prefix alone, in another case', 'CH_SK_=1', null],
  ]);

  describe('order of checks: unsupported keys come before every value check', () => {
    it.each([
      ['limit=0&x=1', 'x'],
      ['sort_order=sideways&start_at=yesterday&zzz=1', 'zzz'],
      ['start_at=2026-07-01T00:00:00Z&end_at=2026-06-01T00:00:00Z&q=1', 'q'],
      ['limit=5&limit=6&y=2&x=1', 'y'],
    ])('?%s → field %j', async (query, field) => {
      expectError(await h.get(`${URL}?${query}`, auth(h)), { reason_code: 'unsupported_filter', field });
    });
  });
});
