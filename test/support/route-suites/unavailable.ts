/**
 * → 503 (CONTRACT.md 2.1), the same for every route: digest_key_unavailable when the keyring cannot be loaded
 * (step 6), datastore_unavailable when the database does not answer in time. Each carries Retry-After.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { expectError, expectOk } from '../expect-error.js';
import { OK_BODY } from '../expected.js';
import { removeKeyring, simulateDatastoreOutage } from '../outage.js';
import { auth, BAD_QUERY, OK_URL, pathOf, send, sleep } from '../requests.js';
import { useHarness } from '../use-harness.js';

export function unavailableSuite(route: RouteId): void {
  const URL = OK_URL[route];

  describe(`${route} → 503 digest_key_unavailable`, () => {
    const h = useHarness();
    let restoreKeyring: () => void;
    beforeAll(() => {
      // Before the first request, so the server has never loaded the keyring.
      restoreKeyring = removeKeyring(h);
    });

    it('a valid key cannot be verified without the keyring', async () => {
      const response = await h.get(URL, auth(h));
      expectError(response, { reason_code: 'digest_key_unavailable' });
      expect(response.headers['retry-after']).toBe('1');
    });

    it.each([
      ['a bad query', `${URL}${BAD_QUERY[route]}`],
      ['an unknown resource', pathOf(route, 'enc_unknown', 'doc_unknown')],
      ['a cross-organization resource', pathOf(route, 'enc_b1', 'doc_b1')],
    ])('the keyring is checked before the key, the query and the resources (%s)', async (_name, url) => {
      expectError(await h.get(url, auth(h, 'revoked')), { reason_code: 'digest_key_unavailable' });
    });

    it.each([
      ['no Authorization header', {}, 'missing_bearer'],
      ['a malformed token', { authorization: 'Bearer junk' }, 'malformed_token'],
      ['a truncated key', { authorization: 'Bearer ch_sk_test_abc' }, 'malformed_token'],
    ] as const)('checks that need no keyring still answer first: %s → %s', async (_name, headers, reason_code) => {
      expectError(await h.get(URL, headers), { reason_code });
    });

    it('the method and route checks still answer first', async () => {
      expectError(await send(h, 'POST', URL, auth(h)), { reason_code: 'method_not_allowed' });
      expectError(await h.get(`${URL}/nope/nope`, auth(h)), { reason_code: 'route_not_found' });
    });

    it('recovers once the keyring file is back (it is re-read at most once a second)', async () => {
      restoreKeyring();
      await sleep(1100);
      const response = await h.get(URL, auth(h));
      expect(response.statusCode, response.body).toBe(200);
      expectOk(response, OK_BODY[route]);
    });
  });

  describe(`${route} → 503 datastore_unavailable`, () => {
    const h = useHarness();

    it('a request whose queries fail or time out gets 503, and the API recovers with the database', async () => {
      // Warm the key cache first: the outage then strikes at the resource queries.
      expect((await h.get(URL, auth(h))).statusCode).toBe(200);
      const restore = await simulateDatastoreOutage(h);
      try {
        const cached = await h.get(URL, auth(h));
        expectError(cached, { reason_code: 'datastore_unavailable', rateLimitHeaders: true });
        expect(cached.headers['retry-after']).toBe('1');
        // A key never seen before needs the key lookup itself (step 7).
        expectError(await h.get(URL, auth(h, 'beta')), {
          reason_code: 'datastore_unavailable',
          rateLimitHeaders: false,
        });
        // Steps before the lookup never touch the database.
        expectError(await h.get(URL), { reason_code: 'missing_bearer' });
        expectError(await h.get(URL, { authorization: 'Bearer junk' }), { reason_code: 'malformed_token' });
      } finally {
        await restore();
      }
      const response = await h.get(URL, auth(h));
      expectOk(response, OK_BODY[route]);
    });
  });
}
