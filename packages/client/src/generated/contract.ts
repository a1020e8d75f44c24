// Generated from the OpenAPI artifact by scripts/generate-contract.mjs (`npm run generate`). Do not edit.

/** Every reason code of the server's registry, with its HTTP status and `error` category (`x-reason-codes`). */
export const REASON_TABLE = {
  missing_bearer: { status: 401, error: "api_key_unauthorized" },
  api_keys_disabled: { status: 401, error: "api_key_unauthorized" },
  test_prefix_not_allowed: { status: 401, error: "api_key_unauthorized" },
  malformed_token: { status: 401, error: "api_key_unauthorized" },
  invalid_key: { status: 401, error: "api_key_unauthorized" },
  revoked_key: { status: 401, error: "api_key_unauthorized" },
  disabled_key: { status: 401, error: "api_key_unauthorized" },
  expired_key: { status: 401, error: "api_key_unauthorized" },
  org_scope_only_required: { status: 403, error: "api_key_forbidden" },
  organization_not_allowlisted: { status: 403, error: "api_key_forbidden" },
  route_not_allowed: { status: 403, error: "api_key_forbidden" },
  missing_scope: { status: 403, error: "api_key_forbidden" },
  cross_organization_denied: { status: 403, error: "api_key_forbidden" },
  demo_training_denied: { status: 403, error: "api_key_forbidden" },
  unsupported_filter: { status: 400, error: "api_key_validation_failed" },
  invalid_limit: { status: 422, error: "api_key_validation_failed" },
  invalid_offset: { status: 422, error: "api_key_validation_failed" },
  invalid_sort: { status: 422, error: "api_key_validation_failed" },
  invalid_query: { status: 422, error: "api_key_validation_failed" },
  encounter_not_found: { status: 404, error: "public_api_not_found" },
  document_not_found: { status: 404, error: "public_api_not_found" },
  transcript_not_found: { status: 404, error: "public_api_not_found" },
  audio_not_available_for_document: { status: 404, error: "public_api_not_found" },
  audio_not_found: { status: 404, error: "public_api_not_found" },
  unsupported_document_type: { status: 400, error: "public_api_not_found" },
  route_not_found: { status: 404, error: "public_api_not_found" },
  method_not_allowed: { status: 405, error: "public_api_not_found" },
  media_url_invalid: { status: 404, error: "public_api_not_found" },
  digest_key_unavailable: { status: 503, error: "public_api_unavailable" },
  audio_storage_unavailable: { status: 503, error: "public_api_unavailable" },
  datastore_unavailable: { status: 503, error: "public_api_unavailable" },
  rate_limited: { status: 429, error: "public_api_rate_limited" },
  internal_error: { status: 500, error: "public_api_error" },
} as const;

/** list_encounters' `limit`: its bounds and default. */
export const LIST_LIMIT = { min: 1, max: 100, default: 50 } as const;

/** list_encounters' `offset`: its bounds and default; `next_offset` is null rather than past `max`. */
export const LIST_OFFSET = { min: 0, max: 10000, default: 0 } as const;

// The webhook contract (`x-webhook-contract`).

/** The one event type sent so far. */
export const TRANSCRIPT_READY_EVENT = "recording.transcript_ready";

/** The body's `api_version`, also sent as ChartHero-Webhook-Version. */
export const WEBHOOK_API_VERSION = "2026-05-01";

/** The request headers, by role (names as sent; compare them case-blind). */
export const WEBHOOK_HEADERS = {
  contentType: "Content-Type",
  eventId: "ChartHero-Event-Id",
  deliveryId: "ChartHero-Delivery-Id",
  timestamp: "ChartHero-Timestamp",
  signature: "ChartHero-Signature",
  version: "ChartHero-Webhook-Version",
  userAgent: "User-Agent",
} as const;

/** The scheme of each ChartHero-Signature entry: `<version>=<lowercase hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_VERSION = "v1";

/** How far the signed timestamp may be from the receiver's clock, either way, unless told otherwise. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** Why `verifyWebhook` refused a request. */
export const WEBHOOK_VERIFY_REASONS = [
  "missing_header",
  "malformed_timestamp",
  "timestamp_out_of_tolerance",
  "unsupported_signature_version",
  "signature_mismatch",
  "event_id_mismatch",
  "version_mismatch",
  "malformed_body",
] as const;
