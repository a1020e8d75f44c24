/**
 * /external/v1/encounters: any method but GET and HEAD → 405 method_not_allowed with `Allow: GET, HEAD` (CONTRACT.md section 1),
 * decided before authentication (step 1 of section 4).
 */
import { methodNotAllowedSuite } from '../../support/route-suites/method-not-allowed.js';

methodNotAllowedSuite('list_encounters');
