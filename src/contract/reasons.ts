/**
 * The reason-code registry: the single source of every public error.
 * The server's error responses, the OpenAPI error schemas and the SDK's reason-code type all derive from it.
 */

export type ErrorCategory =
  | 'api_key_unauthorized'
  | 'api_key_forbidden'
  | 'api_key_validation_failed'
  | 'public_api_not_found'
  | 'public_api_unavailable'
  | 'public_api_rate_limited'
  | 'public_api_error';

export interface ReasonSpec {
  readonly status: 400 | 401 | 403 | 404 | 405 | 422 | 429 | 500 | 503;
  readonly error: ErrorCategory;
  readonly message: string;
  /** The query parameter named in `field` for this code; `null` when the code never names one. */
  readonly field: 'limit' | 'offset' | 'sort_order' | 'start_at|end_at' | 'query_key' | null;
}

export const REASONS = {
  missing_bearer: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'A bearer API key is required.',
    field: null,
  },
  api_keys_disabled: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'API-key authentication is not available for this request.',
    field: null,
  },
  test_prefix_not_allowed: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'Test API keys are not accepted by this environment.',
    field: null,
  },
  malformed_token: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The bearer token is not a well-formed API key.',
    field: null,
  },
  invalid_key: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The API key is not recognized for this environment.',
    field: null,
  },
  revoked_key: { status: 401, error: 'api_key_unauthorized', message: 'The API key has been revoked.', field: null },
  disabled_key: { status: 401, error: 'api_key_unauthorized', message: 'The API key is disabled.', field: null },
  expired_key: { status: 401, error: 'api_key_unauthorized', message: 'The API key has expired.', field: null },
  org_scope_only_required: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'This route requires an organization-scoped API key.',
    field: null,
  },
  organization_not_allowlisted: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'The organization is not enabled for the public API.',
    field: null,
  },
  route_not_allowed: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'This route is not enabled for the organization.',
    field: null,
  },
  missing_scope: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'The API key is missing a required scope.',
    field: null,
  },
  cross_organization_denied: {
    status: 403,
    error: 'api_key_forbidden',
    message: "The requested resource is outside the caller's organization.",
    field: null,
  },
  demo_training_denied: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'Demo and training resources are not available through this API.',
    field: null,
  },
  unsupported_filter: {
    status: 400,
    error: 'api_key_validation_failed',
    message: 'The query parameter is not supported by this route.',
    field: 'query_key',
  },
  invalid_limit: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The limit query parameter is invalid.',
    field: 'limit',
  },
  invalid_offset: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The offset query parameter is invalid.',
    field: 'offset',
  },
  invalid_sort: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The sort_order query parameter must be asc or desc.',
    field: 'sort_order',
  },
  invalid_query: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The date filter is invalid.',
    field: 'start_at|end_at',
  },
  encounter_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The encounter was not found.',
    field: null,
  },
  document_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The document was not found.',
    field: null,
  },
  transcript_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The finalized transcript was not found.',
    field: null,
  },
  audio_not_available_for_document: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The document does not have retrievable audio.',
    field: null,
  },
  audio_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The audio object was not found.',
    field: null,
  },
  unsupported_document_type: {
    status: 400,
    error: 'public_api_not_found',
    message: 'The document type is not supported for this route.',
    field: null,
  },
  route_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'No route matches this path.',
    field: null,
  },
  method_not_allowed: {
    status: 405,
    error: 'public_api_not_found',
    message: 'The method is not allowed for this path.',
    field: null,
  },
  media_url_invalid: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The media URL is invalid or has expired.',
    field: null,
  },
  digest_key_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'API-key verification is temporarily unavailable.',
    field: null,
  },
  audio_storage_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'Audio storage is temporarily unavailable.',
    field: null,
  },
  datastore_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'The datastore is temporarily unavailable.',
    field: null,
  },
  rate_limited: {
    status: 429,
    error: 'public_api_rate_limited',
    message: 'Too many requests for this API key.',
    field: null,
  },
  internal_error: {
    status: 500,
    error: 'public_api_error',
    message: 'An unexpected error occurred.',
    field: null,
  },
} as const satisfies Record<string, ReasonSpec>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** Seconds a client should wait before retrying a 503 (the 429 value is computed from the bucket). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;
