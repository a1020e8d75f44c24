/**
 * `GET`/`HEAD /media/v1/<token>?v=&exp=&sig=`: serves file-storage objects through signed URLs
 * (docs/api.md, media URLs), with single-range support. Only registered when the file storage is in use.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Keyring } from '../access/digest-keyring.js';
import { PublicError } from '../contract/errors.js';
import { MEDIA_PATH } from '../contract/routes.js';
import type { FileObjectReader, FileStorage } from '../media/file-storage.js';
import { verifyMediaUrl } from '../media/signed-urls.js';
import { StorageUnavailableError } from '../media/storage.js';
import { pathOf, rawQueryOf, undecodedQuery } from './raw-url.js';

export interface MediaRouteOptions {
  storage: Pick<FileStorage, 'openRead'>;
  /** Throws PublicError('digest_key_unavailable') when the keyring cannot be loaded; that error propagates. */
  keyring: () => Keyring;
  /** Clock for URL expiry (tests). */
  now?: () => number;
}

const MEDIA_SAFETY_HEADERS = {
  'content-disposition': 'attachment',
  'content-security-policy': "sandbox; default-src 'none'",
};

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number };

/**
 * One `bytes=` range against an object of `size` bytes (RFC 9110 section 14). Several ranges, another unit, a
 * malformed or an unsatisfiable value are ignored and the whole object is served, which the RFC allows: a 416
 * would be the one non-2xx answer without a reason code of the contract.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(?:(\d+)\s*-\s*(\d*)|-\s*(\d+))\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first, last, suffix] = match;
  if (suffix !== undefined) {
    const length = Number(suffix);
    if (length === 0 || size === 0) return { kind: 'full' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== undefined && last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'full' };
  const end = last === undefined || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'partial', start, end };
}

async function openObject(options: MediaRouteOptions, objectKey: string): Promise<FileObjectReader> {
  let reader: FileObjectReader | null;
  try {
    reader = await options.storage.openRead(objectKey);
  } catch (error) {
    // An outage is not the caller's fault: 503 tells them to retry rather than that the URL is bad.
    if (error instanceof StorageUnavailableError) throw new PublicError('audio_storage_unavailable');
    throw error;
  }
  if (reader === null) throw new PublicError('media_url_invalid');
  return reader;
}

export function registerMediaRoute(app: FastifyInstance, options: MediaRouteOptions): void {
  const now = options.now ?? Date.now;

  async function handler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // Token and query from the raw URL, undecoded: each has one canonical spelling, so a percent-escaped variant
    // of a valid URL (the same bytes once decoded) is not a second valid URL. Repeated keys stay visible.
    const token = pathOf(request.url).slice(MEDIA_PATH.length + 1);
    const query = undecodedQuery(rawQueryOf(request.url));
    const objectKey = verifyMediaUrl(options.keyring(), token, query, now());
    if (objectKey === null) throw new PublicError('media_url_invalid');
    const reader = await openObject(options, objectKey);
    const range = parseRange(request.headers.range, reader.size);
    reply.header('cache-control', 'no-store').header('accept-ranges', 'bytes');
    reply.header('content-type', reader.contentType);
    if (range.kind === 'partial') {
      reply
        .code(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${reader.size}`)
        .header('content-length', String(range.end - range.start + 1));
    } else {
      reply.code(200).header('content-length', String(reader.size));
    }
    if (request.method === 'HEAD') {
      await reader.close();
      return reply.send();
    }
    return reply.send(reader.stream(range.kind === 'partial' ? range : undefined));
  }

  app.route({
    method: ['GET', 'HEAD'],
    // A wildcard, not `:token`, so long keys are not cut off by the router's maxParamLength (100).
    url: `${MEDIA_PATH}/*`,
    // On every media response, errors included: a stored object can never render as a page on the API's origin.
    onRequest: async (_request, reply) => {
      reply.headers(MEDIA_SAFETY_HEADERS);
    },
    handler,
  });
}
