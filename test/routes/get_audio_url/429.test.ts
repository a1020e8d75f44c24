/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id}/audio → 429 rate_limited (CONTRACT.md 2.1, step 9 of section 4, section 7): per key and per organization,
 * with Retry-After, RateLimit-Policy and RateLimit. The clock is frozen so buckets refill only when a test says so.
 */
import { rateLimitSuite } from '../../support/route-suites/rate-limit.js';

rateLimitSuite('get_audio_url');
