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
