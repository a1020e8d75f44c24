/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { auth, pathOf } from '../../support/requests.js';
import { notFoundSuite } from '../../support/route-suites/not-found.js';

const ROUTE = 'get_audio_url';

notFoundSuite(ROUTE, {
  documentCases: {
    title: 'audio_not_available_for_document: the ambient transcript document has no recording',
    reason_code: 'audio_not_available_for_document',
    cases: [
      ['a finalized transcript without a recording', 'doc_amb_norec'],
      ['a draft transcript without a recording', 'doc_amb_draft'],
    ],
  },
  more: (h) => {
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
  },
});
