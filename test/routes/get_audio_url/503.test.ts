/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 503 (CONTRACT.md 2.1): digest_key_unavailable when the keyring cannot be loaded (step 6),
 * datastore_unavailable when the database does not answer in time, audio_storage_unavailable when audio storage cannot be reached. Each carries Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { expectError, expectOk } from '../../support/expect-error.js';
import { removeAudioStorage } from '../../support/outage.js';
import { auth, localPart, OK_URL, pathOf } from '../../support/requests.js';
import { unavailableSuite } from '../../support/route-suites/unavailable.js';
import { useHarness } from '../../support/use-harness.js';

const ROUTE = 'get_audio_url';
const URL = OK_URL[ROUTE];

unavailableSuite(ROUTE);

describe('get_audio_url → 503 audio_storage_unavailable', () => {
  const h = useHarness();

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
