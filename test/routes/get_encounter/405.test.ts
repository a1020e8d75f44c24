/**
 * /external/v1/encounters/{encounter_id}: any method but GET and HEAD → 405 method_not_allowed with `Allow: GET, HEAD` (CONTRACT.md section 1),
 * decided before authentication (step 1 of section 4).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, OK_URL, send } from '../../support/requests.js';

const URL = OK_URL.get_encounter;
const METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

describe('get_encounter → 405', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it.each(METHODS)('%s without credentials', async (method) => {
    expectError(await send(h, method, URL), { reason_code: 'method_not_allowed' });
  });

  it.each(METHODS)('%s with a valid key', async (method) => {
    expectError(await send(h, method, URL, auth(h)), { reason_code: 'method_not_allowed' });
  });

  it.each(METHODS)('%s with a junk token (not a 401: the method is checked first)', async (method) => {
    expectError(await send(h, method, URL, { authorization: 'Bearer junk' }), { reason_code: 'method_not_allowed' });
  });

  it.each(METHODS)('%s with a revoked key at unknown ids with a query', async (method) => {
    expectError(await send(h, method, '/external/v1/encounters/enc_unknown?x=1', auth(h, 'revoked')), {
      reason_code: 'method_not_allowed',
    });
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
