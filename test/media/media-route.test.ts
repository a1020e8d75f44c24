import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Keyring } from '../../src/access/digest-keyring.js';
import { isPublicError, PublicError } from '../../src/contract/errors.js';
import { registerMediaRoute } from '../../src/http/media-route.js';
import { createFileStorage, type FileStorage } from '../../src/media/file-storage.js';
import { keyringEntry, keyringOf, temporaryFolder } from './helpers.js';

const NOW = Date.UTC(2026, 4, 25, 14, 0, 0);
const BYTES = randomBytes(1000);
const KEY = 'org_x/doc_y.wav';
const LONG_KEY = `org_x/${'long_folder_name_'.repeat(10)}/${'long_document_name_'.repeat(10)}.wav`;

const keyring = keyringOf(keyringEntry(1), keyringEntry(2));
let currentKeyring: () => Keyring = () => keyring;
let clock = NOW;

let work: ReturnType<typeof temporaryFolder>;
let storage: FileStorage;
let app: FastifyInstance;

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

async function urlFor(objectKey: string, ttlSeconds = 900): Promise<string> {
  return pathOf((await storage.issueUrl(objectKey, ttlSeconds)).url);
}

function expectMediaUrlInvalid(response: {
  statusCode: number;
  headers: Record<string, unknown>;
  json: () => unknown;
}): void {
  expect(response.statusCode).toBe(404);
  expect(response.headers['content-disposition']).toBe('attachment');
  expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
  expect(response.json()).toEqual({
    error: 'public_api_not_found',
    reason_code: 'media_url_invalid',
    message: expect.any(String),
    field: null,
  });
}

beforeAll(async () => {
  work = temporaryFolder('media-route');
  const source = join(work.path, 'source.wav');
  writeFileSync(source, BYTES);
  storage = createFileStorage(join(work.path, 'audio'), {
    publicBaseUrl: 'http://127.0.0.1:8080',
    keyring: () => currentKeyring(),
    now: () => clock,
  });
  await storage.putFile(KEY, source, 'audio/wav');
  await storage.putFile(LONG_KEY, source, 'audio/wav');
  writeFileSync(source, '');
  await storage.putFile('org_x/empty.wav', source, 'audio/wav');

  // Like the real app, Fastify does not parse the query; the default 100-character parameter limit stays, which
  // the route's wildcard must not run into.
  app = Fastify({ logger: false, routerOptions: { querystringParser: () => ({}) } });
  // Stands in for the app's error handler: PublicErrors become the standard body.
  app.setErrorHandler((error, _request, reply) => {
    if (isPublicError(error)) return reply.code(error.status).send(error.toBody());
    return reply.code(500).send({ error: 'public_api_error', reason_code: 'internal_error' });
  });
  registerMediaRoute(app, { storage, keyring: () => currentKeyring(), now: () => clock });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  work.remove();
});

describe('GET /media/v1/:token', () => {
  it('serves the bytes with the stored type and no-store', async () => {
    const response = await app.inject({ method: 'GET', url: await urlFor(KEY) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('audio/wav');
    expect(response.headers['content-length']).toBe('1000');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-range']).toBeUndefined();
    expect(response.headers['content-disposition']).toBe('attachment');
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response.rawPayload.equals(BYTES)).toBe(true);
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await app.inject({ method: 'HEAD', url: await urlFor(KEY) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('audio/wav');
    expect(response.headers['content-length']).toBe('1000');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['content-disposition']).toBe('attachment');
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response.rawPayload.length).toBe(0);
  });

  it('serves an empty object', async () => {
    const response = await app.inject({ method: 'GET', url: await urlFor('org_x/empty.wav') });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe('0');
    expect(response.rawPayload.length).toBe(0);
  });

  it('serves keys longer than the router parameter limit', async () => {
    const url = await urlFor(LONG_KEY);
    expect(url.length).toBeGreaterThan(400);
    const response = await app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(BYTES)).toBe(true);
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=900-', 900, 999],
    ['bytes=-10', 990, 999],
    ['bytes=500-5000', 500, 999],
    ['bytes=-5000', 0, 999],
  ])('serves %s as 206', async (range, start, end) => {
    const response = await app.inject({ method: 'GET', url: await urlFor(KEY), headers: { range } });
    expect(response.statusCode).toBe(206);
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
    expect(response.headers['content-length']).toBe(String(end - start + 1));
    expect(response.headers['content-type']).toBe('audio/wav');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-disposition']).toBe('attachment');
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response.rawPayload.equals(BYTES.subarray(start, end + 1))).toBe(true);
  });

  it('answers a ranged HEAD with 206 headers and no body', async () => {
    const response = await app.inject({ method: 'HEAD', url: await urlFor(KEY), headers: { range: 'bytes=10-19' } });
    expect(response.statusCode).toBe(206);
    expect(response.headers['content-range']).toBe('bytes 10-19/1000');
    expect(response.headers['content-length']).toBe('10');
    expect(response.rawPayload.length).toBe(0);
  });

  it('serves the whole object for several ranges or a malformed one', async () => {
    for (const range of ['bytes=0-1,5-6', 'bytes=9-3', 'pages=1-2', 'bytes=x-']) {
      const response = await app.inject({ method: 'GET', url: await urlFor(KEY), headers: { range } });
      expect(response.statusCode, range).toBe(200);
      expect(response.rawPayload.equals(BYTES)).toBe(true);
    }
  });

  it('serves the whole object for an unsatisfiable range (no 416: every error carries a reason code)', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const response = await app.inject({ method: 'GET', url: await urlFor(KEY), headers: { range } });
      expect(response.statusCode, range).toBe(200);
      expect(response.headers['content-range']).toBeUndefined();
      expect(response.headers['content-length']).toBe('1000');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.rawPayload.equals(BYTES)).toBe(true);
    }
  });

  it('does not leak file handles on HEAD and ignored ranges', async () => {
    const url = await urlFor(KEY);
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 40; i += 1) {
      await app.inject({ method: 'HEAD', url });
      await app.inject({ method: 'GET', url, headers: { range: 'bytes=1000-' } });
      await app.inject({ method: 'GET', url });
    }
    expect(readdirSync('/proc/self/fd').length - before).toBeLessThan(10);
  });

  it('rejects a tampered signature, key, expiry or version', async () => {
    const url = new URL(await urlFor(KEY), 'http://x');
    const sig = url.searchParams.get('sig')!;
    const variants = [
      url.pathname.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) + url.search,
      `/media/v1/${Buffer.from('org_x/other.wav').toString('base64url')}${url.search}`,
      `${url.pathname}?v=2&exp=${Number(url.searchParams.get('exp')) + 60}&sig=${sig}`,
      `${url.pathname}?v=1&exp=${url.searchParams.get('exp')}&sig=${sig}`,
      `${url.pathname}?v=2&exp=${url.searchParams.get('exp')}&sig=${sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
      `${url.pathname}${url.search}&sig=${sig}`,
      `${url.pathname}${url.search.replace('v=2', 'v=2&v=2')}`,
      `${url.pathname}`,
      '/media/v1/',
      '/media/v1/a/b',
      `/media/v1/${Buffer.from('../etc/passwd').toString('base64url')}${url.search}`,
    ];
    for (const variant of variants) {
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await app.inject({ method, url: variant });
        if (method === 'HEAD') expect(response.statusCode, variant).toBe(404);
        else expectMediaUrlInvalid(response);
      }
    }
  });

  it('rejects a signature, token, version or expiry not in its one canonical form (same decoded bytes)', async () => {
    const url = new URL(await urlFor(KEY), 'http://x');
    const token = url.pathname.slice('/media/v1/'.length);
    const [v, exp, sig] = ['v', 'exp', 'sig'].map((name) => url.searchParams.get(name)!) as [string, string, string];
    const percent = (char: string) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
    const percentLower = (char: string) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
    const sigBytes = Buffer.from(sig, 'base64url');
    const variants = [
      // The same signature bytes, written with other characters: a percent escape, in upper or lower case hex.
      `${url.pathname}?v=${v}&exp=${exp}&sig=${percent(sig[0]!)}${sig.slice(1)}`,
      `${url.pathname}?v=${v}&exp=${exp}&sig=${sig.slice(0, -1)}${percentLower(sig.at(-1)!)}`,
      // The same object key bytes, with the token's first character escaped.
      `/media/v1/${percent(token[0]!)}${token.slice(1)}${url.search}`,
      `/media/v1/${token.slice(0, 5)}${percentLower(token[5]!)}${token.slice(6)}${url.search}`,
      // The same version and expiry numbers, escaped.
      `${url.pathname}?v=${percent(v[0]!)}${v.slice(1)}&exp=${exp}&sig=${sig}`,
      `${url.pathname}?v=${v}&exp=${percent(exp[0]!)}${exp.slice(1)}&sig=${sig}`,
      // Escaped parameter names.
      `${url.pathname}?v=${v}&exp=${exp}&${percent('s')}ig=${sig}`,
    ];
    // Each variant really carries the same bytes once decoded, so only the canonical-form rule can refuse it.
    for (const variant of variants) {
      const decoded = new URL(variant, 'http://x');
      expect(decodeURIComponent(decoded.pathname), variant).toBe(url.pathname);
      expect(Buffer.from(decoded.searchParams.get('sig')!, 'base64url').equals(sigBytes), variant).toBe(true);
      expect([decoded.searchParams.get('v'), decoded.searchParams.get('exp')], variant).toEqual([v, exp]);
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await app.inject({ method, url: variant });
        expect(response.statusCode, `${method} ${variant}`).toBe(404);
        expect(response.headers['content-disposition']).toBe('attachment');
        expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
        if (method === 'GET') expectMediaUrlInvalid(response);
      }
    }
    // The canonical URL itself still serves.
    expect((await app.inject({ method: 'GET', url: `${url.pathname}${url.search}` })).statusCode).toBe(200);
  });

  it('rejects an expired URL', async () => {
    const url = await urlFor(KEY, 60);
    clock = NOW + 59_999;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    clock = NOW + 60_000;
    expectMediaUrlInvalid(await app.inject({ method: 'GET', url }));
    clock = NOW;
  });

  it('rejects a URL whose object is gone', async () => {
    expectMediaUrlInvalid(await app.inject({ method: 'GET', url: await urlFor('org_x/never_stored.wav') }));
  });

  it('rejects a URL signed with a version the keyring no longer holds', async () => {
    const url = await urlFor(KEY);
    currentKeyring = () => keyringOf(keyringEntry(1), keyringEntry(3));
    try {
      expectMediaUrlInvalid(await app.inject({ method: 'GET', url }));
    } finally {
      currentKeyring = () => keyring;
    }
  });

  it('answers digest_key_unavailable when the keyring cannot be loaded', async () => {
    const url = await urlFor(KEY);
    currentKeyring = () => {
      throw new PublicError('digest_key_unavailable');
    };
    try {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ reason_code: 'digest_key_unavailable', field: null });
      expect(response.headers['content-disposition']).toBe('attachment');
      expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    } finally {
      currentKeyring = () => keyring;
    }
  });

  it('answers audio_storage_unavailable when the storage folder is gone', async () => {
    const url = await urlFor(KEY);
    const other = temporaryFolder('media-route-gone');
    const gone = createFileStorage(join(other.path, 'audio'), { publicBaseUrl: 'http://x', keyring: () => keyring });
    const goneApp = Fastify({ logger: false });
    goneApp.setErrorHandler((error, _request, reply) =>
      isPublicError(error) ? reply.code(error.status).send(error.toBody()) : reply.code(500).send(),
    );
    registerMediaRoute(goneApp, { storage: gone, keyring: () => keyring, now: () => NOW });
    try {
      rmSync(join(other.path, 'audio'), { recursive: true, force: true });
      const response = await goneApp.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ reason_code: 'audio_storage_unavailable' });
    } finally {
      await goneApp.close();
      other.remove();
    }
  });
});
