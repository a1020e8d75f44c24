/** Step 11 of the order of checks (docs/order-of-checks.md): the query string of a public route (docs/list-query.md). */
import { mayCarryKeyMaterial } from '../access/key-format.js';
import { type IntegerBound, LIST_LIMIT, LIST_OFFSET } from '../contract/bounds.js';
import { PublicError } from '../contract/errors.js';
import type { PublicRoute } from '../contract/routes.js';
import { parseTimestamp } from '../time.js';

export interface ListQuery {
  limit: number;
  offset: number;
  sortOrder: 'asc' | 'desc';
  startMs: number | null;
  endMs: number | null;
}

const DEFAULTS: ListQuery = {
  limit: LIST_LIMIT.default,
  offset: LIST_OFFSET.default,
  sortOrder: 'desc',
  startMs: null,
  endMs: null,
};

/** Longest unsupported key echoed in `field`, in UTF-16 code units (so it also holds for code points). */
const MAX_FIELD_ECHO = 64;
/** Control (C0, DEL, C1) and format characters, line/paragraph separators, and U+FFFD (what invalid UTF-8 became). */
const UNECHOABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\uFFFD]/u;
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]*)$/;
/** A time followed by a space and `HH:MM` at the end: an offset whose unencoded `+` was decoded as a space. */
const PLUS_AS_SPACE = /[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)? \d{2}:\d{2}$/;

const encoder = new TextEncoder();
/** Non-fatal (invalid UTF-8 becomes U+FFFD, never a throw); `ignoreBOM` keeps a leading BOM, as WHATWG's parser does. */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * One name or value of `application/x-www-form-urlencoded`, as the WHATWG URL standard decodes it: `+` is a space,
 * `%XX` is a byte, a malformed `%` escape stays literal, and the bytes are read as UTF-8 with replacement.
 * Written out (rather than trusting URLSearchParams) so the behaviour is pinned here and by the tests.
 */
export function formDecode(text: string): string {
  // Lone surrogates in the input become U+FFFD here; '%' and hex digits are ASCII, so they are single bytes.
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      out[length++] = 0x20;
      continue;
    }
    if (byte === 0x25 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1]!);
      const low = hexValue(bytes[i + 2]!);
      if (high >= 0 && low >= 0) {
        out[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[length++] = byte;
  }
  return decoder.decode(out.subarray(0, length));
}

/** The decoded `[name, value]` pairs in request order; empty segments are skipped, a name without `=` has a blank value. */
export function parseFormPairs(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const segment of rawQuery.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = eq === -1 ? segment : segment.slice(0, eq);
    const value = eq === -1 ? '' : segment.slice(eq + 1);
    pairs.push([formDecode(name), formDecode(value)]);
  }
  return pairs;
}

/**
 * `field` for an unsupported key: the key itself only when it is safe to echo (docs/errors.md) — not empty, not too
 * long, no control characters, and nothing that may be a pasted API key.
 */
function echoableField(key: string): string | null {
  if (key === '' || key.length > MAX_FIELD_ECHO || UNECHOABLE.test(key) || mayCarryKeyMaterial(key)) return null;
  return key;
}

/** A canonical decimal integer within the bound, or null. Compares by length first so huge inputs cannot overflow. */
function canonicalInteger(text: string, { min, max }: IntegerBound): number | null {
  if (text.length > String(max).length || !CANONICAL_INTEGER.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/**
 * Parses and validates the query of `route`. `rawQuery` is the part of the URL after the first '?', without the '?'
 * (may be ''). Throws PublicError (only): `unsupported_filter`, `invalid_limit`, `invalid_offset`, `invalid_sort`
 * or `invalid_query`, the first failing check winning in the contract's order regardless of request order.
 * Messages never echo input values.
 */
export function parseRouteQuery(route: Pick<PublicRoute, 'queryKeys'>, rawQuery: string): ListQuery {
  const accepted: readonly string[] = route.queryKeys;
  const values = new Map<string, string[]>();
  for (const [key, value] of parseFormPairs(rawQuery)) {
    if (!accepted.includes(key)) {
      throw new PublicError('unsupported_filter', {
        field: echoableField(key),
        message: 'A query parameter is not supported by this route.',
      });
    }
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }

  // undefined: absent (use the default); null: given more than once, which is invalid for that key.
  const single = (key: string): string | null | undefined => {
    const list = values.get(key);
    if (!list) return undefined;
    return list.length === 1 ? list[0]! : null;
  };

  const query: ListQuery = { ...DEFAULTS };

  query.limit = integerParam('limit', single('limit'), LIST_LIMIT, 'invalid_limit');
  query.offset = integerParam('offset', single('offset'), LIST_OFFSET, 'invalid_offset');

  const sort = single('sort_order');
  if (sort !== undefined) {
    if (sort !== 'asc' && sort !== 'desc') {
      throw new PublicError('invalid_sort', {
        field: 'sort_order',
        message: 'sort_order must be given once, as exactly asc or desc (lower case).',
      });
    }
    query.sortOrder = sort;
  }

  query.startMs = timestampParam('start_at', single('start_at'));
  query.endMs = timestampParam('end_at', single('end_at'));

  if (query.startMs !== null && query.endMs !== null && query.startMs >= query.endMs) {
    throw new PublicError('invalid_query', { field: null, message: 'start_at must be earlier than end_at.' });
  }
  return query;
}

/** `limit` or `offset`: the bound's default when absent, else a canonical integer within the bound given once. */
function integerParam(
  key: 'limit' | 'offset',
  value: string | null | undefined,
  bound: IntegerBound,
  code: 'invalid_limit' | 'invalid_offset',
): number {
  if (value === undefined) return bound.default;
  const parsed = value === null ? null : canonicalInteger(value, bound);
  if (parsed !== null) return parsed;
  throw new PublicError(code, {
    field: key,
    message: `${key} must be given once, as a whole number from ${bound.min} to ${bound.max} without sign or leading zeros.`,
  });
}

function timestampParam(key: 'start_at' | 'end_at', value: string | null | undefined): number | null {
  if (value === undefined) return null;
  const ms = value === null ? null : parseTimestamp(value);
  if (ms !== null) return ms;
  let message = `${key} must be given once, as an RFC 3339 date-time with an offset, e.g. 2026-05-01T00:00:00Z.`;
  if (value !== null && PLUS_AS_SPACE.test(value)) {
    message = `${key} has a space where its offset sign should be: a '+' in a query string means a space, so send it percent-encoded as %2B (e.g. 2026-05-01T00:00:00%2B02:00).`;
  }
  throw new PublicError('invalid_query', { field: key, message });
}
