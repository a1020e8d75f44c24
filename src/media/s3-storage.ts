/**
 * Audio storage in an S3-compatible bucket (`s3://bucket/prefix`). Media URLs are the store's own presigned GET
 * URLs (docs/api.md, media URLs). Endpoint, region and credentials come from the standard AWS variables.
 */
import { createReadStream } from 'node:fs';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { requireObjectKey } from './object-key.js';
import { sourceFileSize } from './source-file.js';
import { type AudioStorage, type IssuedUrl, StorageUnavailableError, type StoredObject } from './storage.js';

export interface S3StorageOptions {
  /** Where AWS_* variables are read from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Limit for head and URL signing, which sit on a request's path (default 2000 ms). */
  timeoutMs?: number;
  /** Limit for an upload, which streams a whole recording (default 120000 ms). */
  putTimeoutMs?: number;
  /** Clock for URL expiry (tests). */
  now?: () => number;
}

export interface S3Location {
  bucket: string;
  /** Empty, or ends with `/`. */
  prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error('audio storage must be s3://bucket/prefix');
  const rawPrefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  // The prefix is a folder: `s3://b/audio` and `s3://b/audio/` both put objects under `audio/`.
  return { bucket: match[1]!, prefix: rawPrefix === '' ? '' : `${rawPrefix}/` };
}

function clientConfig(env: Record<string, string | undefined>): S3ClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const config: S3ClientConfig = {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    // A request has ~2 s in all; a couple of quick retries fit, more would only delay the 503.
    maxAttempts: 2,
  };
  if (endpoint) {
    config.endpoint = endpoint;
    // Self-hosted stores (MinIO, Ceph, test servers) rarely have wildcard DNS for virtual-hosted buckets.
    config.forcePathStyle = true;
    // Many S3-compatible stores reject the SDK's default streaming-trailer checksums on upload.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  // Otherwise the SDK's default chain applies (shared config files, container or instance roles).
  return config;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || httpStatus(error) === 404;
}

function unavailable(what: string, error: unknown): StorageUnavailableError {
  const status = httpStatus(error);
  const name = (error as { name?: string } | undefined)?.name ?? 'error';
  return new StorageUnavailableError(`S3 ${what} failed (${status ?? name})`, { cause: error });
}

/**
 * Runs `work` with an abort signal and also races the deadline itself: the SDK only honours the signal once a
 * request is on the wire, and credential resolution before that can hang too.
 */
async function withDeadline<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`timed out after ${timeoutMs} ms`));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), deadline]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export function createS3Storage(url: string, options: S3StorageOptions = {}): AudioStorage {
  const { bucket, prefix } = parseS3Url(url);
  const client = new S3Client(clientConfig(options.env ?? process.env));
  const timeoutMs = options.timeoutMs ?? 2000;
  const putTimeoutMs = options.putTimeoutMs ?? 120_000;
  const now = options.now ?? Date.now;

  function keyOf(objectKey: string): string {
    requireObjectKey(objectKey);
    return `${prefix}${objectKey}`;
  }

  async function putFile(objectKey: string, sourcePath: string, contentType: string): Promise<void> {
    const Key = keyOf(objectKey);
    const size = await sourceFileSize(sourcePath);
    const body = createReadStream(sourcePath);
    try {
      await withDeadline(putTimeoutMs, (abortSignal) =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentLength: size, ContentType: contentType }),
          { abortSignal },
        ),
      );
    } catch (error) {
      throw unavailable('upload', error);
    } finally {
      body.destroy();
    }
  }

  async function head(objectKey: string): Promise<StoredObject | null> {
    const Key = keyOf(objectKey);
    try {
      const result = await withDeadline(timeoutMs, (abortSignal) =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal }),
      );
      return { size: result.ContentLength ?? 0, contentType: result.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      // Only a real 404 is "missing"; 403 (e.g. no s3:ListBucket), 5xx and network faults are outages.
      if (isNotFound(error)) return null;
      throw unavailable('head', error);
    }
  }

  async function issueUrl(objectKey: string, ttlSeconds: number): Promise<IssuedUrl> {
    const Key = keyOf(objectKey);
    // Sign at a whole second: the store expires the URL at X-Amz-Date + X-Amz-Expires, which is then exactly this.
    const signedAtMs = Math.floor(now() / 1000) * 1000;
    try {
      const signed = await withDeadline(timeoutMs, () =>
        getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key, ResponseCacheControl: 'no-store' }), {
          expiresIn: ttlSeconds,
          signingDate: new Date(signedAtMs),
        }),
      );
      return { url: signed, expiresAtMs: signedAtMs + ttlSeconds * 1000 };
    } catch (error) {
      throw unavailable('URL signing', error);
    }
  }

  return {
    putFile,
    head,
    issueUrl,
    close: async () => {
      client.destroy();
    },
  };
}
