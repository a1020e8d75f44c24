/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/transcript → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11), and unsupported_document_type for anything but an ambient_transcript document (step 12).
 */
import { NOT_AMBIENT_TRANSCRIPTS, unsupportedQuerySuite } from '../../support/route-suites/unsupported-query.js';

unsupportedQuerySuite('get_transcript', {
  documentsAfterQuery: ['doc_note', 'doc_amb_draft'],
  unsupportedDocuments: NOT_AMBIENT_TRANSCRIPTS,
});
