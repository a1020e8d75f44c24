/**
 * A path that matches no route → 404 route_not_found (CONTRACT.md section 1), decided before authentication
 * (step 1 of section 4), for every method.
 */
import { describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { auth, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

const UNKNOWN_PATHS = [
  '/external/v1',
  '/external/v1/',
  '/external/v1/nope',
  '/external/v1/encounter',
  '/external/v1/patients',
  '/external/v1/encounters/enc_a1/documents',
  '/external/v1/encounters/enc_a1/notes/doc_note',
  '/external/v1/encounters/enc_a1/documents/doc_amb/video',
  '/external/v1/encounters/enc_a1/documents/doc_amb/transcript/extra',
  '/external/v1/encounters/enc_a1/documents/doc_amb/audio/',
  // A trailing slash would give the last id an empty value: no route, not a missing resource.
  '/external/v1/encounters/',
  '/external/v1/encounters/enc_a1/documents/',
  '/external/v1/encounters//documents/doc_note',
  '/external/v1//encounters',
  '/EXTERNAL/v1/encounters',
  '/external/V1/encounters',
  '/external/v2/encounters',
  '/external/encounters',
  '/',
  '/anything',
  '/openapi/v1/other.json',
];

describe('unmatched paths → 404 route_not_found', () => {
  const h = useHarness();

  it.each(UNKNOWN_PATHS)('GET %s without credentials', async (path) => {
    expectError(await h.get(path), { reason_code: 'route_not_found' });
  });

  it.each(UNKNOWN_PATHS)('GET %s with a valid key and a query', async (path) => {
    expectError(await h.get(`${path}?limit=0&x=1`, auth(h)), { reason_code: 'route_not_found' });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const)(
    '%s on an unknown path is a 404, not a 405',
    async (method) => {
      expectError(await send(h, method, '/external/v1/nope', { authorization: 'Bearer junk' }), {
        reason_code: 'route_not_found',
      });
    },
  );

  it('HEAD on an unknown path: 404 route_not_found, no body', async () => {
    expectError(await send(h, 'HEAD', '/external/v1/nope'), { reason_code: 'route_not_found', head: true });
  });
});
