/** GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 401 (CONTRACT.md 2.1, steps 2–8 of section 4). */
import { unauthorizedSuite } from '../../support/route-suites/unauthorized.js';

unauthorizedSuite('get_document');
