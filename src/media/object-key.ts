/** Object keys: relative, slash-separated names like `org_x/doc_y.wav`, shared by every storage kind. */

export class InvalidObjectKeyError extends Error {
  override name = 'InvalidObjectKeyError';
}

/** Keys are bounded so a signed media URL stays a reasonable length (S3 allows 1024 bytes too). */
export const MAX_OBJECT_KEY_BYTES = 1024;

/** The file storage keeps an object's content type beside it under this suffix, so keys may not end with it. */
export const META_SUFFIX = '.meta.json';

/** So a segment plus the sidecar suffix still fits the usual 255-byte file-name limit. */
const MAX_SEGMENT_BYTES = 255 - META_SUFFIX.length;

/**
 * Why each rule exists: no absolute path, `..`, backslash or empty segment can point outside the storage folder;
 * no segment may start with `.` (that also rules out `.` and `..`) because the file storage keeps its temporary
 * files hidden; no control character can reach a file name, a log line or a header.
 */
export function isValidObjectKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0) return false;
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length > MAX_OBJECT_KEY_BYTES) return false;
  // A lone surrogate does not survive UTF-8 and would name a different file than the one signed.
  if (bytes.toString('utf8') !== key) return false;
  if (/[\x00-\x1f\x7f\\]/.test(key)) return false;
  if (key.endsWith(META_SUFFIX)) return false;
  return key
    .split('/')
    .every(
      (segment) =>
        segment.length > 0 && !segment.startsWith('.') && Buffer.byteLength(segment, 'utf8') <= MAX_SEGMENT_BYTES,
    );
}

export function requireObjectKey(key: unknown): asserts key is string {
  if (!isValidObjectKey(key)) throw new InvalidObjectKeyError('invalid object key');
}
