/** GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { notFoundSuite } from '../../support/route-suites/not-found.js';

notFoundSuite('get_document');
