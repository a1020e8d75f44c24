/**
 * GET /external/v1/encounters/{encounter_id} → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11).
 */
import { unsupportedQuerySuite } from '../../support/route-suites/unsupported-query.js';

unsupportedQuerySuite('get_encounter');
