/**
 * → 500 internal_error (CONTRACT.md 2.1), the same for every route: anything unexpected — here `table` gone missing,
 * as after a botched migration. Logged with the request id; the body reveals nothing.
 */
import { describe, expect, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { expectError, expectOk } from '../expect-error.js';
import { OK_BODY } from '../expected.js';
import { breakTable } from '../outage.js';
import { auth, OK_URL } from '../requests.js';
import { useHarness } from '../use-harness.js';

/** `table`: one the route reads for its resources (after the key lookup). */
export function internalErrorSuite(route: RouteId, table: string): void {
  const URL = OK_URL[route];

  describe(`${route} → 500 internal_error`, () => {
    const h = useHarness();

    it('an unexpected failure is a bare 500, logged with the request id', async () => {
      expect((await h.get(URL, auth(h))).statusCode).toBe(200);
      const restore = await breakTable(h, table);
      let requestId: string;
      try {
        const response = await h.get(URL, { ...auth(h), 'x-request-id': `req-500-${route}` });
        expectError(response, { reason_code: 'internal_error', rateLimitHeaders: true });
        requestId = response.headers['x-request-id'] as string;
        expect(requestId).toBe(`req-500-${route}`);
        expect(response.body).not.toContain(table);
        expect(JSON.parse(response.body).message).toBe('An unexpected error occurred.');
      } finally {
        await restore();
      }
      const logged = h.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.reqId === requestId);
      expect(logged.some((entry) => entry.level === 50 && entry.msg === 'unexpected error')).toBe(true);
      expect(h.logs.join('\n')).not.toContain(h.fixture.keys.full.secret);

      const response = await h.get(URL, auth(h));
      expectOk(response, OK_BODY[route]);
    });
  });
}
