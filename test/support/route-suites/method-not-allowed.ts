/**
 * Any method but GET and HEAD → 405 method_not_allowed with `Allow: GET, HEAD` (CONTRACT.md section 1), the same for
 * every route, decided before authentication (step 1 of section 4).
 */
import { describe, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { expectError } from '../expect-error.js';
import { auth, BAD_QUERY, OK_URL, pathOf, send } from '../requests.js';
import { useHarness } from '../use-harness.js';

const METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function methodNotAllowedSuite(route: RouteId): void {
  const URL = OK_URL[route];
  /** A request GET would refuse later on: the list with a bad query; a detail route at unknown ids with a query. */
  const [failing, failingUrl] =
    route === 'list_encounters'
      ? ['a bad query', `${URL}${BAD_QUERY[route]}&x=1`]
      : ['unknown ids with a query', `${pathOf(route, 'enc_unknown', 'doc_unknown')}?x=1`];

  describe(`${route} → 405`, () => {
    const h = useHarness();

    it.each(METHODS)('%s without credentials', async (method) => {
      expectError(await send(h, method, URL), { reason_code: 'method_not_allowed' });
    });

    it.each(METHODS)('%s with a valid key', async (method) => {
      expectError(await send(h, method, URL, auth(h)), { reason_code: 'method_not_allowed' });
    });

    it.each(METHODS)('%s with a junk token (not a 401: the method is checked first)', async (method) => {
      expectError(await send(h, method, URL, { authorization: 'Bearer junk' }), { reason_code: 'method_not_allowed' });
    });

    it.each(METHODS)(`%s with a revoked key at ${failing}`, async (method) => {
      expectError(await send(h, method, failingUrl, auth(h, 'revoked')), { reason_code: 'method_not_allowed' });
    });

    it('POST with a JSON body that does not parse (the body is never read)', async () => {
      const response = await send(h, 'POST', URL, { ...auth(h), 'content-type': 'application/json' }, '{"oops');
      expectError(response, { reason_code: 'method_not_allowed' });
    });

    it('OPTIONS as a CORS preflight: 405 and no CORS headers (server-to-server API)', async () => {
      const response = await send(h, 'OPTIONS', URL, {
        origin: 'https://partner.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      });
      expectError(response, { reason_code: 'method_not_allowed' });
    });
  });
}
