/**
 * The contract's numeric bounds, each defined once: the query parser, the response schemas, the OpenAPI document
 * (and through it the SDK), the error messages and the configuration read them here.
 */

export interface IntegerBound {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** `limit` of the list query (docs/list-query.md). */
export const LIST_LIMIT: IntegerBound = { min: 1, max: 100, default: 50 };

/** `offset` of the list query (docs/list-query.md); `next_offset` is null rather than past `max` (docs/api.md). */
export const LIST_OFFSET: IntegerBound = { min: 0, max: 10_000, default: 0 };

/** `CHARTHERO_AUDIO_URL_TTL_SECONDS`: lifetime of an issued audio URL (docs/api.md, docs/configuration.md). */
export const AUDIO_URL_TTL_SECONDS: IntegerBound = { min: 60, max: 3600, default: 900 };

/** The API key body (docs/keys.md): this many base62 characters of CSPRNG output, then the checksum. */
export const KEY_RANDOM_LENGTH = 32;
/** The CRC-32 checksum in base62, left-padded with `0`. */
export const KEY_CHECKSUM_LENGTH = 6;

/** `CHARTHERO_AUTH_FAILURE_LIMIT`: failed authentications per client address per window (docs/limits.md); 0 = off. */
export const AUTH_FAILURE_LIMIT: IntegerBound = { min: 0, max: 1000, default: 20 };
/** The window of the failed-authentication throttle (step 5a, docs/limits.md). */
export const AUTH_FAILURE_WINDOW_SECONDS = 10;

/** `CHARTHERO_MAX_CONNECTIONS`: open connections per process before new ones are refused (docs/limits.md). */
export const MAX_CONNECTIONS: IntegerBound = { min: 1, max: 1_000_000, default: 10_000 };

/** Request limits of docs/limits.md: a body past this many bytes is refused unread. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
/** Headers must be complete within this, the whole request within the next, and an idle connection closes after the third. */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
