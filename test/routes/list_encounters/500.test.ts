/**
 * GET /external/v1/encounters → 500 internal_error (CONTRACT.md 2.1): anything unexpected — here the patients table gone missing, as after a
 * botched migration. Logged with the request id; the body reveals nothing.
 */
import { internalErrorSuite } from '../../support/route-suites/internal-error.js';

internalErrorSuite('list_encounters', 'patients');
