/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 503 (CONTRACT.md 2.1): digest_key_unavailable when the keyring cannot be loaded (step 6),
 * datastore_unavailable when the database does not answer in time. Each carries Retry-After.
 */
import { unavailableSuite } from '../../support/route-suites/unavailable.js';

unavailableSuite('get_document');
