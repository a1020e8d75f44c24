/**
 * /external/v1/encounters/{encounter_id}/documents/{document_id}/transcript: any method but GET and HEAD → 405 method_not_allowed with `Allow: GET, HEAD` (CONTRACT.md section 1),
 * decided before authentication (step 1 of section 4).
 */
import { methodNotAllowedSuite } from '../../support/route-suites/method-not-allowed.js';

methodNotAllowedSuite('get_transcript');
