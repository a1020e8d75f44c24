/**
 * The S3 storage against a real S3-API server on loopback (@20minutes/s3rver, which checks SigV4 signatures on
 * requests and presigned URLs), plus endpoints that refuse, hang or fail.
 */

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from '../../src/media/object-key.js';
import { createS3Storage, parseS3Url } from '../../src/media/s3-storage.js';
import { type AudioStorage, StorageUnavailableError } from '../../src/media/storage.js';
import { temporaryFolder } from './helpers.js';

const BUCKET = 'charthero-audio';
const BYTES = randomBytes(64 * 1024 + 7);
// s3rver's built-in account.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

let work: ReturnType<typeof temporaryFolder>;
let server: S3rver;
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
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await Promise.all(opened.map((storage) => storage.close()));
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
