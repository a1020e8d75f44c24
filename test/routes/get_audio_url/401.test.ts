/** GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 401 (CONTRACT.md 2.1, steps 2–8 of section 4). */
import { ISSUED_AUDIO_URL } from '../../support/expected.js';
import { unauthorizedSuite } from '../../support/route-suites/unauthorized.js';

unauthorizedSuite('get_audio_url', { okBody: ISSUED_AUDIO_URL });
