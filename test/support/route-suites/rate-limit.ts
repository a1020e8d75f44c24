/**
 * → 429 rate_limited (CONTRACT.md 2.1, step 9 of section 4, section 7), the same for every route: per key and per
 * organization, with Retry-After, RateLimit-Policy and RateLimit. The clock is frozen so buckets refill only when a
 * test says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { expectError, expectRateLimitHeaders } from '../expect-error.js';
import { addKey } from '../fixture.js';
import type { Harness } from '../harness.js';
import { insertOpenOrganization } from '../organizations.js';
import { BAD_QUERY, bearer, OK_URL, pathOf } from '../requests.js';
import { useHarness } from '../use-harness.js';

export function rateLimitSuite(route: RouteId): void {
  const URL = OK_URL[route];

  describe(`${route} → 429`, () => {
    let frozen: number | null = null;
    const h = useHarness({ runtime: { now: () => frozen ?? Date.now() } });
    beforeEach(() => {
      frozen = Date.now();
    });
    afterEach(() => {
      frozen = null;
    });

    const expectServed = (response: Awaited<ReturnType<Harness['get']>>) => {
      expect(response.statusCode, response.body).toBe(200);
      expectRateLimitHeaders(response, true);
    };

    it('a key limited to 1 request/s (burst 2) is refused on its third request in the same instant', async () => {
      const key = await addKey(h.runtime, h.config, { rateLimitPerSecond: 1 });
      const first = await h.get(URL, bearer(key.secret));
      expectServed(first);
      expect(first.headers['ratelimit-policy']).toBe('"key";q=2;w=2');
      expect(first.headers.ratelimit).toBe('"key";r=1;t=1');
      const second = await h.get(URL, bearer(key.secret));
      expectServed(second);
      expect(second.headers.ratelimit).toBe('"key";r=0;t=2');

      const refused = await h.get(URL, bearer(key.secret));
      expectError(refused, { reason_code: 'rate_limited' });
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['ratelimit-policy']).toBe('"key";q=2;w=2');
      expect(refused.headers.ratelimit).toBe('"key";r=0;t=2');
    });

    it('is served again once Retry-After has passed', async () => {
      const key = await addKey(h.runtime, h.config, { rateLimitPerSecond: 1 });
      for (let i = 0; i < 2; i++) expectServed(await h.get(URL, bearer(key.secret)));
      const refused = await h.get(URL, bearer(key.secret));
      expectError(refused, { reason_code: 'rate_limited' });
      frozen! += Number(refused.headers['retry-after']) * 1000;
      expectServed(await h.get(URL, bearer(key.secret)));
    });

    it("an organization's limit is shared by all its keys", async () => {
      const organizationId = `org_limited_${route}`;
      await insertOpenOrganization(h.runtime.store.db, organizationId, 1);
      const first = await addKey(h.runtime, h.config, { organizationId });
      const second = await addKey(h.runtime, h.config, { organizationId });
      const url = route === 'list_encounters' ? URL : pathOf(route, 'enc_unknown', 'doc_unknown');
      const ok = route === 'list_encounters' ? 200 : 404;
      for (const key of [first, first]) {
        const response = await h.get(url, bearer(key.secret));
        expect(response.statusCode, response.body).toBe(ok);
        expectRateLimitHeaders(response, true);
      }
      const refused = await h.get(url, bearer(second.secret));
      expectError(refused, { reason_code: 'rate_limited' });
      expect(refused.headers['ratelimit-policy']).toBe('"key";q=100;w=2, "organization";q=2;w=2');
      expect(refused.headers.ratelimit).toBe('"key";r=100;t=0, "organization";r=0;t=2');
    });

    describe('order of checks: the rate limit comes before authorization, the query and the resources', () => {
      it.each([
        ['a bad query', `${URL}${BAD_QUERY[route]}`],
        ['an unknown resource', pathOf(route, 'enc_unknown', 'doc_unknown')],
        ['a cross-organization resource', pathOf(route, 'enc_b1', 'doc_b1')],
      ])('an exhausted key at %s', async (_name, url) => {
        const key = await addKey(h.runtime, h.config, { rateLimitPerSecond: 1 });
        for (let i = 0; i < 2; i++) await h.get(url, bearer(key.secret));
        expectError(await h.get(url, bearer(key.secret)), { reason_code: 'rate_limited' });
      });

      it.each([
        [null, 'org_scope_only_required'],
        ['org_gamma', 'organization_not_allowlisted'],
        ['org_none', 'route_not_allowed'],
      ] as const)('an exhausted key of organization %s (otherwise %s)', async (organizationId, otherwise) => {
        const key = await addKey(h.runtime, h.config, { organizationId, rateLimitPerSecond: 1 });
        for (let i = 0; i < 2; i++) {
          expectError(await h.get(URL, bearer(key.secret)), { reason_code: otherwise });
        }
        expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'rate_limited' });
      });

      it('a revoked key is refused with 401 however often it is sent (authentication first)', async () => {
        const key = await addKey(h.runtime, h.config, { rateLimitPerSecond: 1, status: 'revoked' });
        for (let i = 0; i < 4; i++) {
          expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'revoked_key' });
        }
      });
    });
  });
}
