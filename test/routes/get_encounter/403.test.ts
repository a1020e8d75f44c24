/** GET /external/v1/encounters/{encounter_id} → 403 (CONTRACT.md 2.1: step 10 of section 4, and the encounter checks of step 12). */
import { forbiddenSuite } from '../../support/route-suites/forbidden.js';

forbiddenSuite('get_encounter');
