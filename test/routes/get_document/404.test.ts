/** GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, oddIds, pathOf } from '../../support/requests.js';

const ROUTE = 'get_document';

describe('get_document → 404', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('encounter_not_found: no such encounter, or it is not available', () => {
    it.each([
      '/external/v1/encounters/enc_unknown/documents/doc_note',
      '/external/v1/encounters/enc_unknown/documents/doc_unknown',
      '/external/v1/encounters/enc_unavailable/documents/doc_unavailable_enc',
      '/external/v1/encounters/enc_unavailable/documents/doc_unknown',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'encounter_not_found' });
    });

    it.each(oddIds('enc_a1'))('an encounter id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, id, 'doc_note'), auth(h)), { reason_code: 'encounter_not_found' });
    });
  });

  describe('document_not_found: no such document, not in the encounter of the path, or not available', () => {
    it.each([
      '/external/v1/encounters/enc_a1/documents/doc_unknown',
      '/external/v1/encounters/enc_a2/documents/doc_note',
      '/external/v1/encounters/enc_a1/documents/doc_a2',
      '/external/v1/encounters/enc_a1/documents/doc_b1',
      '/external/v1/encounters/enc_a1/documents/doc_demo',
      '/external/v1/encounters/enc_a1/documents/doc_unavailable_enc',
      '/external/v1/encounters/enc_a1/documents/doc_hidden',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'document_not_found' });
    });

    it.each(oddIds('doc_note'))('a document id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', id), auth(h)), { reason_code: 'document_not_found' });
    });
  });
});
