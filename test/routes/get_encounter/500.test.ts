/**
 * GET /external/v1/encounters/{encounter_id} → 500 internal_error (CONTRACT.md 2.1): anything unexpected — here the encounter_items table (the stored list items it reads) gone missing, as after a
 * botched migration. Logged with the request id; the body reveals nothing.
 */
import { internalErrorSuite } from '../../support/route-suites/internal-error.js';

internalErrorSuite('get_encounter', 'encounter_items');
