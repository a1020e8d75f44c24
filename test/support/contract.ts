/**
 * CONTRACT.md written down for the tests, independently of src/: the reason-code registry of section 2.1, the
 * route table of section 1 and which codes each route can produce. Tests compare the server against these, and
 * test/contract/registry.test.ts checks src/contract/* against them.
 */
import type { RouteId } from '../../src/contract/routes.js';

export interface ContractReason {
  status: 400 | 401 | 403 | 404 | 405 | 422 | 429 | 500 | 503;
  error: string;
}

/** Section 2.1, row by row. */
export const CONTRACT_REASONS = {
  missing_bearer: { status: 401, error: 'api_key_unauthorized' },
  api_keys_disabled: { status: 401, error: 'api_key_unauthorized' },
  test_prefix_not_allowed: { status: 401, error: 'api_key_unauthorized' },
  malformed_token: { status: 401, error: 'api_key_unauthorized' },
  invalid_key: { status: 401, error: 'api_key_unauthorized' },
  revoked_key: { status: 401, error: 'api_key_unauthorized' },
  disabled_key: { status: 401, error: 'api_key_unauthorized' },
  expired_key: { status: 401, error: 'api_key_unauthorized' },
  org_scope_only_required: { status: 403, error: 'api_key_forbidden' },
  organization_not_allowlisted: { status: 403, error: 'api_key_forbidden' },
  route_not_allowed: { status: 403, error: 'api_key_forbidden' },
  missing_scope: { status: 403, error: 'api_key_forbidden' },
  cross_organization_denied: { status: 403, error: 'api_key_forbidden' },
  demo_training_denied: { status: 403, error: 'api_key_forbidden' },
  unsupported_filter: { status: 400, error: 'api_key_validation_failed' },
  invalid_limit: { status: 422, error: 'api_key_validation_failed' },
  invalid_offset: { status: 422, error: 'api_key_validation_failed' },
  invalid_sort: { status: 422, error: 'api_key_validation_failed' },
  invalid_query: { status: 422, error: 'api_key_validation_failed' },
  encounter_not_found: { status: 404, error: 'public_api_not_found' },
  document_not_found: { status: 404, error: 'public_api_not_found' },
  transcript_not_found: { status: 404, error: 'public_api_not_found' },
  audio_not_available_for_document: { status: 404, error: 'public_api_not_found' },
  audio_not_found: { status: 404, error: 'public_api_not_found' },
  unsupported_document_type: { status: 400, error: 'public_api_not_found' },
  route_not_found: { status: 404, error: 'public_api_not_found' },
  method_not_allowed: { status: 405, error: 'public_api_not_found' },
  media_url_invalid: { status: 404, error: 'public_api_not_found' },
  digest_key_unavailable: { status: 503, error: 'public_api_unavailable' },
  audio_storage_unavailable: { status: 503, error: 'public_api_unavailable' },
  datastore_unavailable: { status: 503, error: 'public_api_unavailable' },
  rate_limited: { status: 429, error: 'public_api_rate_limited' },
  internal_error: { status: 500, error: 'public_api_error' },
} as const satisfies Record<string, ContractReason>;

export type Code = keyof typeof CONTRACT_REASONS;

/** Section 1: path, scopes and accepted query keys of each public route. */
export const CONTRACT_ROUTES: Record<RouteId, { path: string; scopes: string[]; queryKeys: string[] }> = {
  list_encounters: {
    path: '/external/v1/encounters',
    scopes: ['encounters:read', 'patients:read', 'documents:read'],
    queryKeys: ['limit', 'offset', 'sort_order', 'start_at', 'end_at'],
  },
  get_encounter: {
    path: '/external/v1/encounters/{encounter_id}',
    scopes: ['encounters:read', 'patients:read', 'documents:read'],
    queryKeys: [],
  },
  get_document: {
    path: '/external/v1/encounters/{encounter_id}/documents/{document_id}',
    scopes: ['encounters:read', 'documents:read'],
    queryKeys: [],
  },
  get_transcript: {
    path: '/external/v1/encounters/{encounter_id}/documents/{document_id}/transcript',
    scopes: ['encounters:read', 'documents:read'],
    queryKeys: [],
  },
  get_audio_url: {
    path: '/external/v1/encounters/{encounter_id}/documents/{document_id}/audio',
    scopes: ['encounters:read', 'documents:read', 'recordings:read'],
    queryKeys: [],
  },
};

/** Steps 2–11 of section 4 plus the faults of section 2.1: every authenticated route can answer with these. */
const ACCESS: Code[] = [
  'missing_bearer',
  'api_keys_disabled',
  'test_prefix_not_allowed',
  'malformed_token',
  'invalid_key',
  'revoked_key',
  'disabled_key',
  'expired_key',
  'org_scope_only_required',
  'organization_not_allowlisted',
  'route_not_allowed',
  'missing_scope',
  'unsupported_filter',
  'rate_limited',
  'digest_key_unavailable',
  'datastore_unavailable',
  'internal_error',
];
const ENCOUNTER: Code[] = ['encounter_not_found', 'cross_organization_denied', 'demo_training_denied'];
const DOCUMENT: Code[] = [...ENCOUNTER, 'document_not_found', 'unsupported_document_type'];

/** The codes each route can produce, read off sections 2.1, 4, 5 and 6. */
export const CONTRACT_ROUTE_CODES: Record<RouteId, Code[]> = {
  list_encounters: [...ACCESS, 'invalid_limit', 'invalid_offset', 'invalid_sort', 'invalid_query'],
  get_encounter: [...ACCESS, ...ENCOUNTER],
  get_document: [...ACCESS, ...DOCUMENT],
  get_transcript: [...ACCESS, ...DOCUMENT, 'transcript_not_found'],
  get_audio_url: [
    ...ACCESS,
    ...DOCUMENT,
    'audio_not_available_for_document',
    'audio_not_found',
    'audio_storage_unavailable',
  ],
};

/** Codes that belong to no operation: they answer before a route is chosen, or on the media path. */
export const ROUTE_INDEPENDENT_CODES: Code[] = ['route_not_found', 'method_not_allowed', 'media_url_invalid'];

/**
 * Codes whose response comes after step 9 (the key was authenticated and its rate counted), so the response
 * carries RateLimit-Policy and RateLimit (section 7). `undefined`: depends on where the fault struck.
 */
export function carriesRateLimitHeaders(code: Code): boolean | undefined {
  switch (CONTRACT_REASONS[code].status) {
    case 401:
    case 405:
      return false;
    default:
      break;
  }
  if (code === 'route_not_found' || code === 'media_url_invalid' || code === 'digest_key_unavailable') return false;
  if (code === 'datastore_unavailable' || code === 'internal_error') return undefined;
  return true;
}
