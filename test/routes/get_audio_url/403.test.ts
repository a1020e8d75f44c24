/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 403 (CONTRACT.md 2.1: step 10 of section 4, and the encounter checks of step 12). */
import { ISSUED_AUDIO_URL } from '../../support/expected.js';
import { forbiddenSuite } from '../../support/route-suites/forbidden.js';

forbiddenSuite('get_audio_url', { okBody: ISSUED_AUDIO_URL });
