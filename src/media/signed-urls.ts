/**
 * Signed media URLs for the built-in file storage (docs/api.md, media URLs):
 * `${base}/media/v1/<base64url(objectKey)>?v=<keyring version>&exp=<unix seconds>&sig=<base64url HMAC-SHA256>`.
 * The HMAC key is `mediaSigningKey(entry)`, derived from the keyring under its own label, so a URL signature can
 * never double as an API-key digest. Signing uses the newest keyring version; verification accepts every version
 * still in the keyring, so a rotation does not break URLs already handed out.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { entryByVersion, type Keyring, type KeyringEntry, mediaSigningKey } from '../access/digest-keyring.js';
import { MEDIA_PATH } from '../contract/routes.js';
import { isValidObjectKey, MAX_OBJECT_KEY_BYTES } from './object-key.js';

export interface SignMediaUrlInput {
  /** `http(s)://host[:port][/path]`, without a trailing slash (a trailing one is tolerated). */
  publicBaseUrl: string;
  objectKey: string;
  /** The URL stops working at this instant, rounded down to whole seconds. */
  expiresAtMs: number;
  entry: KeyringEntry;
}

const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const POSITIVE_INTEGER = /^[1-9][0-9]{0,14}$/;

function signature(entry: KeyringEntry, version: string, exp: string, objectKey: string): Buffer {
  // Newline separators cannot be confused: version and exp are digits only and come first.
  return createHmac('sha256', mediaSigningKey(entry)).update(`${version}\n${exp}\n${objectKey}`, 'utf8').digest();
}

export function signMediaUrl(input: SignMediaUrlInput): string {
  if (!isValidObjectKey(input.objectKey)) throw new Error('invalid object key');
  if (!Number.isFinite(input.expiresAtMs) || input.expiresAtMs < 1000) throw new Error('invalid expiry');
  const version = String(input.entry.version);
  const exp = String(Math.floor(input.expiresAtMs / 1000));
  const token = Buffer.from(input.objectKey, 'utf8').toString('base64url');
  const sig = signature(input.entry, version, exp, input.objectKey).toString('base64url');
  const base = input.publicBaseUrl.replace(/\/+$/, '');
  return `${base}${MEDIA_PATH}/${token}?v=${version}&exp=${exp}&sig=${sig}`;
}

/** One string value for `name`, or null when it is absent, repeated or not a string. */
function single(query: unknown, name: string): string | null {
  if (query instanceof URLSearchParams) {
    const values = query.getAll(name);
    return values.length === 1 ? values[0]! : null;
  }
  if (typeof query !== 'object' || query === null) return null;
  const value = (query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : null;
}

/** Decodes a path token back to its object key, or null unless it is the one canonical encoding of a valid key. */
export function decodeObjectToken(token: unknown): string | null {
  if (typeof token !== 'string' || token.length === 0) return null;
  if (token.length > Math.ceil((MAX_OBJECT_KEY_BYTES * 4) / 3) || !BASE64URL.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  // Node's decoder is lenient (stray bits, odd lengths): only the exact re-encoding counts.
  if (bytes.toString('base64url') !== token) return null;
  const key = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD: a different key from the bytes sent.
  if (!Buffer.from(key, 'utf8').equals(bytes)) return null;
  return isValidObjectKey(key) ? key : null;
}

/**
 * The object key a media URL grants, or null when any piece is missing, malformed, unknown, expired or tampered.
 * `token` and the query values are the URL's text as sent, not percent-decoded: every piece must already be in its
 * one canonical form (base64url without padding, digits without sign or leading zero). Never throws on its inputs.
 */
export function verifyMediaUrl(
  keyring: Keyring,
  token: unknown,
  query: unknown,
  nowMs: number = Date.now(),
): string | null {
  try {
    const objectKey = decodeObjectToken(token);
    const version = single(query, 'v');
    const exp = single(query, 'exp');
    const sig = single(query, 'sig');
    if (objectKey === null || version === null || exp === null || sig === null) return null;
    if (!POSITIVE_INTEGER.test(version) || !POSITIVE_INTEGER.test(exp) || !BASE64URL.test(sig)) return null;
    const provided = Buffer.from(sig, 'base64url');
    if (provided.length !== SIGNATURE_BYTES || provided.toString('base64url') !== sig) return null;
    const entry = entryByVersion(keyring, Number(version));
    if (entry === undefined) return null;
    const expected = signature(entry, version, exp, objectKey);
    if (!timingSafeEqual(provided, expected)) return null;
    if (nowMs >= Number(exp) * 1000) return null;
    return objectKey;
  } catch {
    return null;
  }
}
