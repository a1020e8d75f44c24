/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 401 (CONTRACT.md 2.1, steps 2–8 of section 4). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCEPTED_BEARER_FORMS,
  KEY_STATE_CASES,
  KILL_SWITCH_CASES,
  MALFORMED_TOKEN_CASES,
  MISSING_BEARER_CASES,
  PRODUCTION_CASES,
} from '../../support/access-cases.js';
import { expectError, expectOk } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, OK_URL, send } from '../../support/requests.js';

const URL = OK_URL.get_audio_url;

describe('get_audio_url → 401 (sandbox)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it.each(MISSING_BEARER_CASES)('missing_bearer: $name', async ({ headers }) => {
    expectError(await h.get(URL, headers(h)), { reason_code: 'missing_bearer' });
  });

  it.each(MALFORMED_TOKEN_CASES)('malformed_token: $name', async ({ headers }) => {
    expectError(await h.get(URL, headers(h)), { reason_code: 'malformed_token' });
  });

  it.each(KEY_STATE_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
    expectError(await h.get(URL, headers(h)), { reason_code });
  });

  it.each(ACCEPTED_BEARER_FORMS)('accepts a valid key with a $name', async ({ headers }) => {
    expectOk(await h.get(URL, headers(h)), {
      audio_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/media\/v1\//),
      expires_at: expect.any(String),
    });
  });

  describe('order of checks: authentication comes before the query and the resources', () => {
    it.each([
      ['revoked', 'revoked_key', '/external/v1/encounters/enc_a1/documents/doc_amb/audio?x=1'],
      ['disabled', 'disabled_key', '/external/v1/encounters/enc_b1/documents/doc_b1/audio?x=1'],
      ['expired', 'expired_key', '/external/v1/encounters/enc_unknown/documents/doc_unknown/audio'],
      ['orgKeysOff', 'api_keys_disabled', '/external/v1/encounters/enc_demo/documents/doc_demo/audio?limit=0'],
    ] as const)('the %s key gets %s (at %s)', async (key, reason_code, url) => {
      expectError(await h.get(url, auth(h, key)), { reason_code });
    });

    it.each([
      ['no Authorization header', 'missing_bearer', {}],
      ['junk token', 'malformed_token', { authorization: 'Bearer junk' }],
    ] as const)('%s at an unknown encounter with a query gets %s', async (_name, reason_code, headers) => {
      expectError(await h.get('/external/v1/encounters/enc_unknown/documents/doc_unknown/audio?x=1', headers), {
        reason_code,
      });
    });
  });

  it('HEAD without Authorization: 401 missing_bearer, headers and no body', async () => {
    expectError(await send(h, 'HEAD', URL), { reason_code: 'missing_bearer', head: true });
  });
});

describe('get_audio_url → 401 at a production deployment', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { CHARTHERO_ENVIRONMENT: 'production' } });
  });
  afterAll(() => h?.close());

  it.each(PRODUCTION_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
    expectError(await h.get(URL, headers(h)), { reason_code });
  });
});

describe('get_audio_url → 401 with API keys switched off for the deployment', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { CHARTHERO_ENVIRONMENT: 'production', CHARTHERO_API_KEYS_ENABLED: 'false' } });
  });
  afterAll(() => h?.close());

  it.each(KILL_SWITCH_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
    expectError(await h.get(`${URL}?x=1`, headers(h)), { reason_code });
  });
});
