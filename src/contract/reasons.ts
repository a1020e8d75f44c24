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
  /** When the code is returned, for people: the reference pages, the OpenAPI examples and docs/errors.md. */
  readonly when: string;
}

export type ReasonStatus = ReasonSpec['status'];

/** What a client should do about each status: the guidance published with the error reference, one per status. */
export const STATUS_GUIDANCE: Record<ReasonStatus, string> = {
  400: 'Fix the request before retrying. Use `field` and `reason_code` to identify the invalid input.',
  422: 'Fix the request before retrying. Use `field` and `reason_code` to identify the invalid input.',
  401: 'Do not retry with the same key until the key, environment, or header format has been corrected.',
  403: 'Check scopes, partner route enablement, and whether the resource is available to the caller.',
  404: 'Treat the resource as not found or unavailable through the public API.',
  405: 'Use `GET` (or `HEAD`); the `Allow` header lists the methods the path accepts.',
  429: 'Wait for the number of seconds in `Retry-After`, then retry; spread requests to stay under the rate limit.',
  500: 'Retry with backoff. If the error continues, contact ChartHero support and quote the `X-Request-Id`.',
  503: 'Retry with backoff (at least `Retry-After` seconds). If the error continues, contact ChartHero support.',
};

export const REASONS = {
  missing_bearer: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'A bearer API key is required.',
    field: null,
    when: 'No `Authorization` header, a scheme other than `Bearer`, or `Bearer` with an empty token.',
  },
  api_keys_disabled: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'API-key authentication is not available for this request.',
    field: null,
    when: "API-key authentication is switched off for this deployment, or for the key's organization.",
  },
  test_prefix_not_allowed: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'Test API keys are not accepted by this environment.',
    field: null,
    when: 'A test key (`ch_sk_test_…`) was sent to a production deployment, which accepts only live keys.',
  },
  malformed_token: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The bearer token is not a well-formed API key.',
    field: null,
    when: 'The token is not a well-formed API key (wrong shape or checksum), or several `Authorization` headers were sent.',
  },
  invalid_key: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The API key is not recognized for this environment.',
    field: null,
    when: "The key is well-formed, but no key with that digest exists for this deployment's environment (a live key sent to a sandbox is one).",
  },
  revoked_key: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The API key has been revoked.',
    field: null,
    when: 'The key was revoked. Revocation is permanent.',
  },
  disabled_key: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The API key is disabled.',
    field: null,
    when: 'The key is disabled. An operator can enable it again.',
  },
  expired_key: {
    status: 401,
    error: 'api_key_unauthorized',
    message: 'The API key has expired.',
    field: null,
    when: "The key's expiry time is at or before now.",
  },
  org_scope_only_required: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'This route requires an organization-scoped API key.',
    field: null,
    when: 'The key is not scoped to an organization; the public routes need one that is.',
  },
  organization_not_allowlisted: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'The organization is not enabled for the public API.',
    field: null,
    when: "The key's organization is not allowlisted for the public API in this deployment.",
  },
  route_not_allowed: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'This route is not enabled for the organization.',
    field: null,
    when: 'The organization is allowlisted, but this route is not enabled for it.',
  },
  missing_scope: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'The API key is missing a required scope.',
    field: null,
    when: 'The key lacks at least one of the scopes the route requires.',
  },
  cross_organization_denied: {
    status: 403,
    error: 'api_key_forbidden',
    message: "The requested resource is outside the caller's organization.",
    field: null,
    when: 'The encounter in the path belongs to another organization.',
  },
  demo_training_denied: {
    status: 403,
    error: 'api_key_forbidden',
    message: 'Demo and training resources are not available through this API.',
    field: null,
    when: 'The encounter in the path is demo or training data, which the public API never serves.',
  },
  unsupported_filter: {
    status: 400,
    error: 'api_key_validation_failed',
    message: 'The query parameter is not supported by this route.',
    field: 'query_key',
    when: 'The request has a query key the route does not accept (any key at all on the four detail routes); `field` names the first such key when it is safe to echo.',
  },
  invalid_limit: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The limit query parameter is invalid.',
    field: 'limit',
    when: '`limit` is blank, repeated, not a canonical integer, or outside 1–100.',
  },
  invalid_offset: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The offset query parameter is invalid.',
    field: 'offset',
    when: '`offset` is blank, repeated, not a canonical integer, or outside 0–10000.',
  },
  invalid_sort: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The sort_order query parameter must be asc or desc.',
    field: 'sort_order',
    when: '`sort_order` is not exactly `asc` or `desc`, or is repeated.',
  },
  invalid_query: {
    status: 422,
    error: 'api_key_validation_failed',
    message: 'The date filter is invalid.',
    field: 'start_at|end_at',
    when: '`start_at` or `end_at` is not an RFC 3339 date-time with an offset, is impossible or out of range, or is repeated (`field` names it); or `start_at` is not before `end_at` (`field` is null).',
  },
  encounter_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The encounter was not found.',
    field: null,
    when: 'No such encounter, or it is not available (deleted, or not yet eligible).',
  },
  document_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The document was not found.',
    field: null,
    when: 'No such document, it is not in the encounter of the path, or it is not available.',
  },
  transcript_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The finalized transcript was not found.',
    field: null,
    when: 'The ambient transcript document has no finalized transcript.',
  },
  audio_not_available_for_document: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The document does not have retrievable audio.',
    field: null,
    when: 'The ambient transcript document has no recording.',
  },
  audio_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The audio object was not found.',
    field: null,
    when: 'A recording is registered, but its object is missing from audio storage.',
  },
  unsupported_document_type: {
    status: 400,
    error: 'public_api_not_found',
    message: 'The document type is not supported for this route.',
    field: null,
    when: "The document's `schema_type` is not supported by this route (transcripts and audio exist only for `ambient_transcript` documents).",
  },
  route_not_found: {
    status: 404,
    error: 'public_api_not_found',
    message: 'No route matches this path.',
    field: null,
    when: 'No route matches the path.',
  },
  method_not_allowed: {
    status: 405,
    error: 'public_api_not_found',
    message: 'The method is not allowed for this path.',
    field: null,
    when: 'The path is a public route, but the method is not `GET` or `HEAD`; the `Allow` header lists those.',
  },
  media_url_invalid: {
    status: 404,
    error: 'public_api_not_found',
    message: 'The media URL is invalid or has expired.',
    field: null,
    when: 'A media URL whose signature, expiry or object does not check out.',
  },
  digest_key_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'API-key verification is temporarily unavailable.',
    field: null,
    when: 'The digest keyring cannot be loaded, so no key can be verified.',
  },
  audio_storage_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'Audio storage is temporarily unavailable.',
    field: null,
    when: 'Audio storage cannot be reached.',
  },
  datastore_unavailable: {
    status: 503,
    error: 'public_api_unavailable',
    message: 'The datastore is temporarily unavailable.',
    field: null,
    when: 'The database cannot be reached or did not answer in time.',
  },
  rate_limited: {
    status: 429,
    error: 'public_api_rate_limited',
    message: 'Too many requests for this API key.',
    field: null,
    when: 'The key or its organization is over its request rate, or the client address has had too many failed authentications recently.',
  },
  internal_error: {
    status: 500,
    error: 'public_api_error',
    message: 'An unexpected error occurred.',
    field: null,
    when: 'Something unexpected happened (a bug). It is logged with the request id; the body reveals nothing.',
  },
} as const satisfies Record<string, ReasonSpec>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** Seconds a client should wait before retrying a 503 (the 429 value is computed from the bucket). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;
