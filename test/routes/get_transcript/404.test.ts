/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/transcript → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, oddIds, pathOf } from '../../support/requests.js';

const ROUTE = 'get_transcript';

describe('get_transcript → 404', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('encounter_not_found: no such encounter, or it is not available', () => {
    it.each([
      '/external/v1/encounters/enc_unknown/documents/doc_amb/transcript',
      '/external/v1/encounters/enc_unknown/documents/doc_unknown/transcript',
      '/external/v1/encounters/enc_unavailable/documents/doc_unavailable_enc/transcript',
      '/external/v1/encounters/enc_unavailable/documents/doc_unknown/transcript',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'encounter_not_found' });
    });

    it.each(oddIds('enc_a1'))('an encounter id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, id, 'doc_amb'), auth(h)), { reason_code: 'encounter_not_found' });
    });
  });

  describe('document_not_found: no such document, not in the encounter of the path, or not available', () => {
    it.each([
      '/external/v1/encounters/enc_a1/documents/doc_unknown/transcript',
      '/external/v1/encounters/enc_a2/documents/doc_amb/transcript',
      '/external/v1/encounters/enc_a1/documents/doc_a2/transcript',
      '/external/v1/encounters/enc_a1/documents/doc_b1/transcript',
      '/external/v1/encounters/enc_a1/documents/doc_demo/transcript',
      '/external/v1/encounters/enc_a1/documents/doc_unavailable_enc/transcript',
      '/external/v1/encounters/enc_a1/documents/doc_hidden/transcript',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'document_not_found' });
    });

    it.each(oddIds('doc_amb'))('a document id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', id), auth(h)), { reason_code: 'document_not_found' });
    });
  });

  describe('transcript_not_found: the ambient transcript document has no finalized transcript', () => {
    it.each([
      ['a draft transcript (not finalized)', 'doc_amb_draft'],
      ['no transcript at all', 'doc_amb_lost'],
    ])('%s (%s)', async (_name, documentId) => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', documentId), auth(h)), { reason_code: 'transcript_not_found' });
    });
  });
});
