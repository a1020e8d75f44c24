/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/transcript → 500 internal_error (CONTRACT.md 2.1): anything unexpected — here the transcripts table gone missing, as after a
 * botched migration. Logged with the request id; the body reveals nothing.
 */
import { internalErrorSuite } from '../../support/route-suites/internal-error.js';

internalErrorSuite('get_transcript', 'transcripts');
