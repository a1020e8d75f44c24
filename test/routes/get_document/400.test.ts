/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 400 (CONTRACT.md 2.1): unsupported_filter for any query key at all (step 11), and unsupported_document_type for an intake_form (step 12).
 */
import { unsupportedQuerySuite } from '../../support/route-suites/unsupported-query.js';

unsupportedQuerySuite('get_document', { unsupportedDocuments: [['enc_a1', 'doc_intake']] });
