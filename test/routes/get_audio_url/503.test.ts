/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 503 (CONTRACT.md 2.1): digest_key_unavailable when the keyring cannot be loaded (step 6),
 * datastore_unavailable when the database does not answer in time, audio_storage_unavailable when audio storage cannot be reached. Each carries Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectOk } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { removeAudioStorage, removeKeyring, simulateDatastoreOutage } from '../../support/outage.js';
import { auth, localPart, OK_URL, pathOf, send, sleep } from '../../support/requests.js';

const ROUTE = 'get_audio_url';
const URL = OK_URL[ROUTE];

describe('get_audio_url → 503 digest_key_unavailable', () => {
  let h: Harness;
  let restoreKeyring: () => void;
  beforeAll(async () => {
    h = await startHarness();
    // Before the first request, so the server has never loaded the keyring.
    restoreKeyring = removeKeyring(h);
  });
  afterAll(() => h?.close());

  it('a valid key cannot be verified without the keyring', async () => {
    const response = await h.get(URL, auth(h));
    expectError(response, { reason_code: 'digest_key_unavailable' });
    expect(response.headers['retry-after']).toBe('1');
  });

  it.each([
    ['a bad query', `${URL}?x=1`],
    ['an unknown resource', pathOf(ROUTE, 'enc_unknown', 'doc_unknown')],
    ['a cross-organization resource', pathOf(ROUTE, 'enc_b1', 'doc_b1')],
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
    expectOk(response, JSON.parse(response.body));
  });
});

describe('get_audio_url → 503 datastore_unavailable', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('a request whose queries fail or time out gets 503, and the API recovers with the database', async () => {
    // Warm the key cache first: the outage then strikes at the resource queries.
    expect((await h.get(URL, auth(h))).statusCode).toBe(200);
    const restore = await simulateDatastoreOutage(h);
    try {
      const cached = await h.get(URL, auth(h));
      expectError(cached, { reason_code: 'datastore_unavailable', rateLimitHeaders: true });
      expect(cached.headers['retry-after']).toBe('1');
      // A key never seen before needs the key lookup itself (step 7).
      expectError(await h.get(URL, auth(h, 'beta')), { reason_code: 'datastore_unavailable', rateLimitHeaders: false });
      // Steps before the lookup never touch the database.
      expectError(await h.get(URL), { reason_code: 'missing_bearer' });
      expectError(await h.get(URL, { authorization: 'Bearer junk' }), { reason_code: 'malformed_token' });
    } finally {
      await restore();
    }
    const response = await h.get(URL, auth(h));
    expectOk(response, JSON.parse(response.body));
  });
});

describe('get_audio_url → 503 audio_storage_unavailable', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('audio storage cannot be reached: 503, after every earlier check, and recovery', async () => {
    const issued = JSON.parse((await h.get(URL, auth(h))).body) as { audio_url: string };
    const remount = removeAudioStorage(h);
    try {
      const response = await h.get(URL, auth(h));
      expectError(response, { reason_code: 'audio_storage_unavailable' });
      expect(response.headers['retry-after']).toBe('1');
      // Storage is reached only after the recording check, and before the object check.
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', 'doc_amb_lost'), auth(h)), {
        reason_code: 'audio_storage_unavailable',
      });
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', 'doc_amb_norec'), auth(h)), {
        reason_code: 'audio_not_available_for_document',
      });
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', 'doc_note'), auth(h)), {
        reason_code: 'unsupported_document_type',
      });
      expectError(await h.get(pathOf(ROUTE, 'enc_b1', 'doc_b1'), auth(h)), {
        reason_code: 'cross_organization_denied',
      });
      // A media URL handed out before the outage is not "invalid": the storage is down.
      expectError(await h.get(localPart(issued.audio_url)), {
        reason_code: 'audio_storage_unavailable',
        rateLimitHeaders: false,
      });
    } finally {
      remount();
    }
    expectOk(await h.get(URL, auth(h)), { audio_url: expect.any(String), expires_at: expect.any(String) });
  });
});
