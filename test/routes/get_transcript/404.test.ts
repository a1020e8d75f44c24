/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/transcript → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { notFoundSuite } from '../../support/route-suites/not-found.js';

notFoundSuite('get_transcript', {
  documentCases: {
    title: 'transcript_not_found: the ambient transcript document has no finalized transcript',
    reason_code: 'transcript_not_found',
    cases: [
      ['a draft transcript (not finalized)', 'doc_amb_draft'],
      ['no transcript at all', 'doc_amb_lost'],
    ],
  },
});
