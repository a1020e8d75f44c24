/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, oddIds, pathOf } from '../../support/requests.js';

const ROUTE = 'get_audio_url';

describe('get_audio_url → 404', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('encounter_not_found: no such encounter, or it is not available', () => {
    it.each([
      '/external/v1/encounters/enc_unknown/documents/doc_amb/audio',
      '/external/v1/encounters/enc_unknown/documents/doc_unknown/audio',
      '/external/v1/encounters/enc_unavailable/documents/doc_unavailable_enc/audio',
      '/external/v1/encounters/enc_unavailable/documents/doc_unknown/audio',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'encounter_not_found' });
    });

    it.each(oddIds('enc_a1'))('an encounter id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, id, 'doc_amb'), auth(h)), { reason_code: 'encounter_not_found' });
    });
  });

  describe('document_not_found: no such document, not in the encounter of the path, or not available', () => {
    it.each([
      '/external/v1/encounters/enc_a1/documents/doc_unknown/audio',
      '/external/v1/encounters/enc_a2/documents/doc_amb/audio',
      '/external/v1/encounters/enc_a1/documents/doc_a2/audio',
      '/external/v1/encounters/enc_a1/documents/doc_b1/audio',
      '/external/v1/encounters/enc_a1/documents/doc_demo/audio',
      '/external/v1/encounters/enc_a1/documents/doc_unavailable_enc/audio',
      '/external/v1/encounters/enc_a1/documents/doc_hidden/audio',
    ])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'document_not_found' });
    });

    it.each(oddIds('doc_amb'))('a document id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', id), auth(h)), { reason_code: 'document_not_found' });
    });
  });

  describe('audio_not_available_for_document: the ambient transcript document has no recording', () => {
    it.each([
      ['a finalized transcript without a recording', 'doc_amb_norec'],
      ['a draft transcript without a recording', 'doc_amb_draft'],
    ])('%s (%s)', async (_name, documentId) => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', documentId), auth(h)), {
        reason_code: 'audio_not_available_for_document',
      });
    });
  });

  describe('audio_not_found: a recording is registered but its object is missing from audio storage', () => {
    it('a recording whose object was never stored (doc_amb_lost)', async () => {
      expectError(await h.get(pathOf(ROUTE, 'enc_a1', 'doc_amb_lost'), auth(h)), { reason_code: 'audio_not_found' });
    });

    it('a recording whose object was deleted from storage after upload (doc_amb)', async () => {
      const object = join(h.config.audioStorage.slice('file:'.length), 'org_alpha', 'doc_amb.wav');
      const bytes = readFileSync(object);
      rmSync(object);
      try {
        expectError(await h.get(pathOf(ROUTE, 'enc_a1', 'doc_amb'), auth(h)), { reason_code: 'audio_not_found' });
      } finally {
        writeFileSync(object, bytes);
      }
    });
  });
});
