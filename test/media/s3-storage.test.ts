/**
 * The S3 storage against a real S3-API server on loopback (@20minutes/s3rver) behind a strict SigV4 checker
 * (test/support/sigv4-front.ts: s3rver alone accepts unsigned and wrong-region requests), plus endpoints that
 * refuse, hang or fail.
 */

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from '../../src/media/object-key.js';
import { createS3Storage, parseS3Url } from '../../src/media/s3-storage.js';
import { type AudioStorage, StorageUnavailableError } from '../../src/media/storage.js';
import { type SigV4Front, startSigV4Front } from '../support/sigv4-front.js';
import { temporaryFolder } from './helpers.js';

const BUCKET = 'charthero-audio';
const BYTES = randomBytes(64 * 1024 + 7);
// s3rver's built-in account, in a region other than the SDK's default so a region mix-up shows.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'eu-central-1' };

let work: ReturnType<typeof temporaryFolder>;
let server: S3rver;
let front: SigV4Front;
/** s3rver itself, for showing what it would accept without the front. */
let upstream: string;
let endpoint: string;
let source: string;
const opened: AudioStorage[] = [];

function storageAt(url: string, env: Record<string, string>, timeoutMs = 2000): AudioStorage {
  const storage = createS3Storage(url, { env, timeoutMs, putTimeoutMs: 5000 });
  opened.push(storage);
  return storage;
}

function listen<T extends Server | TcpServer>(target: T): Promise<number> {
  return new Promise((resolve) => target.listen(0, '127.0.0.1', () => resolve((target.address() as AddressInfo).port)));
}

beforeAll(async () => {
  work = temporaryFolder('s3-storage');
  source = join(work.path, 'source.wav');
  writeFileSync(source, BYTES);
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(work.path, 's3rver'),
    // Made up front: s3rver mis-canonicalizes the SDK's CreateBucket path (`/bucket/`) and rejects its signature.
    configureBuckets: [{ name: BUCKET }],
  });
  const address = await server.run();
  upstream = `http://127.0.0.1:${address.port}`;
  front = await startSigV4Front({
    upstream,
    accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
    secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    region: CREDENTIALS.AWS_REGION,
  });
  endpoint = front.endpoint;
});

afterAll(async () => {
  await Promise.all(opened.map((storage) => storage.close()));
  await front?.close();
  await server?.close();
  work?.remove();
});

describe('parseS3Url', () => {
  it('treats the prefix as a folder', () => {
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/a/b')).toEqual({ bucket: 'bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://bucket/a/b/')).toEqual({ bucket: 'bucket', prefix: 'a/b/' });
    expect(() => parseS3Url('s3://B/x')).toThrow();
    expect(() => parseS3Url('file:./x')).toThrow();
  });
});

describe('S3 storage against s3rver', () => {
  const env = () => ({ ...CREDENTIALS, AWS_ENDPOINT_URL_S3: endpoint });

  it('uploads a file and reports its size and type', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, env());
    await storage.putFile('org_x/doc_y.wav', source, 'audio/wav');
    expect(await storage.head('org_x/doc_y.wav')).toEqual({ size: BYTES.length, contentType: 'audio/wav' });
  });

  it('stores objects under the prefix', async () => {
    const prefixed = storageAt(`s3://${BUCKET}/tenant-a`, env());
    await prefixed.putFile('org_x/doc_p.wav', source, 'audio/mpeg');
    const bare = storageAt(`s3://${BUCKET}`, env());
    expect(await bare.head('tenant-a/org_x/doc_p.wav')).toEqual({ size: BYTES.length, contentType: 'audio/mpeg' });
    expect(await bare.head('org_x/doc_p.wav')).toBeNull();
  });

  it('falls back to AWS_ENDPOINT_URL', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, { ...CREDENTIALS, AWS_ENDPOINT_URL: endpoint });
    expect(await storage.head('org_x/doc_y.wav')).not.toBeNull();
  });

  it('answers null for a missing object', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, env());
    expect(await storage.head('org_x/missing.wav')).toBeNull();
  });

  it('issues a presigned URL that serves the bytes until it expires', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, env());
    await storage.putFile('org_x/doc_url.wav', source, 'audio/wav');
    const before = Date.now();
    const issued = await storage.issueUrl('org_x/doc_url.wav', 600);
    const after = Date.now();
    expect(issued.expiresAtMs % 1000).toBe(0);
    expect(issued.expiresAtMs).toBeGreaterThan(before + 599_000);
    expect(issued.expiresAtMs).toBeLessThanOrEqual(after + 600_000);
    const url = new URL(issued.url);
    expect(url.origin).toBe(endpoint);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    const response = await fetch(issued.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await response.arrayBuffer()).equals(BYTES)).toBe(true);
    // The server really checks the signature: a tampered one is refused.
    const sig = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`);
    expect((await fetch(url)).status).toBe(403);
  });

  it('rejects invalid object keys before any request', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, env());
    await expect(storage.head('../x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(storage.issueUrl('/x', 60)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(storage.putFile('a\\b', source, 'audio/wav')).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('reports a bad source file as a plain error', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, env());
    const put = storage.putFile('a.wav', join(work.path, 'missing.wav'), 'audio/wav');
    await expect(put).rejects.toThrow(/ENOENT/);
    await expect(put).rejects.not.toBeInstanceOf(StorageUnavailableError);
  });

  it('treats access denied as unavailable, not missing', async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'wrong-secret',
      AWS_ENDPOINT_URL_S3: endpoint,
    });
    await expect(storage.head('org_x/doc_y.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.putFile('org_x/x.wav', source, 'audio/wav')).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});

describe('S3 storage when the endpoint misbehaves', () => {
  it('is unavailable when nothing listens', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const storage = storageAt(`s3://${BUCKET}/x`, { ...CREDENTIALS, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` });
    await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.putFile('a.wav', source, 'audio/wav')).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('is unavailable within the timeout when the endpoint never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    const port = await listen(silent);
    try {
      const storage = storageAt(
        `s3://${BUCKET}/x`,
        { ...CREDENTIALS, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` },
        300,
      );
      const started = Date.now();
      await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('is unavailable on a 5xx', async () => {
    const failing = createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code></Error>');
    });
    const port = await listen(failing);
    try {
      const storage = storageAt(`s3://${BUCKET}/x`, {
        ...CREDENTIALS,
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      });
      await expect(storage.head('a.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('the S3 store in the tests checks SigV4 strictly', () => {
  const KEY = 'recordings/org_x/doc_strict.wav';
  let presigned: URL;
  const client = (region = CREDENTIALS.AWS_REGION) =>
    new S3Client({
      region,
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    });
  const get = new GetObjectCommand({ Bucket: BUCKET, Key: KEY });
  /** Status, and the reason the front gives, for one GET. */
  async function refused(url: URL | string): Promise<[number, string | undefined]> {
    const before = front.refusals.length;
    const response = await fetch(url);
    await response.arrayBuffer();
    return [response.status, front.refusals.slice(before).at(-1)];
  }

  beforeAll(async () => {
    const storage = storageAt(`s3://${BUCKET}/recordings`, { ...CREDENTIALS, AWS_ENDPOINT_URL_S3: endpoint });
    await storage.putFile('org_x/doc_strict.wav', source, 'audio/wav');
    presigned = new URL((await storage.issueUrl('org_x/doc_strict.wav', 600)).url);
  });

  it('serves the storage’s presigned URL, and refuses the bare object URL (which s3rver alone would serve)', async () => {
    const served = await fetch(presigned);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(BYTES)).toBe(true);
    const bare = new URL(presigned.pathname, presigned.origin);
    expect(await refused(bare)).toEqual([403, 'request is not signed']);
    expect((await fetch(new URL(presigned.pathname, upstream))).status).toBe(200);
  });

  it('refuses a URL signed for another region, or another service', async () => {
    const otherRegion = await getSignedUrl(client(), get, { expiresIn: 60, signingRegion: 'us-east-1' });
    expect(await refused(otherRegion)).toEqual([403, 'credential scope region must be eu-central-1']);
    const otherService = await getSignedUrl(client(), get, { expiresIn: 60, signingService: 'sqs' });
    expect(await refused(otherService)).toEqual([403, 'credential scope service must be s3']);
    // A storage configured for the wrong region fails as an outage, never silently.
    const misconfigured = storageAt(`s3://${BUCKET}/recordings`, {
      ...CREDENTIALS,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: endpoint,
    });
    await expect(misconfigured.head('org_x/doc_strict.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(front.refusals.at(-1)).toBe('credential scope region must be eu-central-1');
  });

  it('refuses an expired URL, and one dated in the future', async () => {
    const expired = await getSignedUrl(client(), get, { expiresIn: 60, signingDate: new Date(Date.now() - 61_000) });
    expect(await refused(expired)).toEqual([403, 'presigned URL has expired']);
    const future = await getSignedUrl(client(), get, {
      expiresIn: 60,
      signingDate: new Date(Date.now() + 20 * 60_000),
    });
    expect(await refused(future)).toEqual([403, 'presigned URL is dated in the future']);
    const fresh = await getSignedUrl(client(), get, { expiresIn: 60 });
    expect((await fetch(fresh)).status).toBe(200);
  });

  it('refuses a tampered URL: another object, a longer lifetime, another signature', async () => {
    const otherObject = new URL(presigned);
    otherObject.pathname = otherObject.pathname.replace('doc_strict', 'doc_url');
    expect(await refused(otherObject)).toEqual([403, 'signature does not match']);
    const longer = new URL(presigned);
    longer.searchParams.set('X-Amz-Expires', '3600');
    expect(await refused(longer)).toEqual([403, 'signature does not match']);
    const signature = new URL(presigned);
    const sig = signature.searchParams.get('X-Amz-Signature')!;
    signature.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
    expect(await refused(signature)).toEqual([403, 'signature does not match']);
    const unsigned = new URL(presigned);
    unsigned.searchParams.delete('X-Amz-Signature');
    expect(await refused(unsigned)).toEqual([403, 'request is not signed']);
  });

  it('refuses a header-signed request by another secret', async () => {
    const before = front.refusals.length;
    const wrong = storageAt(`s3://${BUCKET}/recordings`, {
      ...CREDENTIALS,
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
      AWS_ENDPOINT_URL_S3: endpoint,
    });
    await expect(wrong.head('org_x/doc_strict.wav')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(front.refusals.slice(before)).toContain('signature does not match');
  });
});
