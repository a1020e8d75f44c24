/**
 * Dependency faults (CONTRACT.md sections 2.1 and 3.2): the digest keyring and the audio storage going away and
 * coming back, and a storage that does not answer. Every fault is a 503 with the registry's body and Retry-After,
 * never a 500, and every dependency call is bounded in time.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { FastifyBaseLogger, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/contract/reasons.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { ENCOUNTERS } from '../support/expected.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deadPort } from './support/tcp-proxy.js';

let h: Harness;
let auth: Record<string, string>;
const LIST = '/external/v1/encounters?limit=1';
const AUDIO = '/external/v1/encounters/enc_a1/documents/doc_amb/audio';
/** The keyring source re-reads the file at most once a second. */
const KEYRING_RECHECK_MS = 1100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectUnavailable(
  response: LightMyRequestResponse,
  code: 'digest_key_unavailable' | 'audio_storage_unavailable',
) {
  expect(response.statusCode).toBe(503);
  expect(response.json()).toEqual({
    error: 'public_api_unavailable',
    reason_code: code,
    message: REASONS[code].message,
    field: null,
  });
  expect(response.headers['retry-after']).toBe('1');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
}

/** LIST's answer, written out (the fixture's newest listable encounter), so recovery is checked against it. */
function expectListServed(response: LightMyRequestResponse) {
  expect(response.statusCode, response.body).toBe(200);
  expect(response.json()).toStrictEqual({
    items: [ENCOUNTERS.enc_a6],
    limit: 1,
    offset: 0,
    sort_order: 'desc',
    has_more: true,
    next_offset: 1,
  });
}

beforeAll(async () => {
  h = await startHarness();
  auth = { authorization: `Bearer ${h.fixture.keys.full.secret}` };
});
afterAll(() => h?.close());

describe('digest keyring', () => {
  it('removed → 503 digest_key_unavailable (API, media URLs, readiness); restored → served again', async () => {
    const path = h.config.digestKeysFile;
    const saved = readFileSync(path);
    const audioUrl = new URL((await h.get(AUDIO, auth)).json().audio_url);
    expectListServed(await h.get(LIST, auth));

    unlinkSync(path);
    await sleep(KEYRING_RECHECK_MS);
    expectUnavailable(await h.get(LIST, auth), 'digest_key_unavailable');
    expectUnavailable(await h.get('/external/v1/encounters/enc_a1', auth), 'digest_key_unavailable');
    expectUnavailable(await h.get(audioUrl.pathname + audioUrl.search), 'digest_key_unavailable');
    const ready = await h.get('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { digest_keyring: false } });
    // Checks before the digest step still answer as usual.
    expect((await h.get(LIST)).json().reason_code).toBe('missing_bearer');
    expect((await h.get(LIST, { authorization: 'Bearer junk' })).json().reason_code).toBe('malformed_token');

    writeFileSync(path, saved, { mode: 0o600 });
    await sleep(KEYRING_RECHECK_MS);
    expectListServed(await h.get(LIST, auth));
    const media = await h.get(audioUrl.pathname + audioUrl.search);
    expect(media.statusCode).toBe(200);
    expect(media.rawPayload.equals(h.fixture.audio)).toBe(true);
    expect((await h.get('/readyz')).statusCode).toBe(200);
  });

  it('unreadable (garbage, empty, a folder) → 503; restored → served again', async () => {
    const path = h.config.digestKeysFile;
    const saved = readFileSync(path);
    const broken: (() => void)[] = [
      () => writeFileSync(path, '\u0000garbage{'),
      () => writeFileSync(path, ''),
      () => writeFileSync(path, JSON.stringify({ keys: [{ version: 1, secret: 'c2hvcnQ=' }] })),
      () => {
        unlinkSync(path);
        mkdirSync(path);
      },
    ];
    for (const breakIt of broken) {
      breakIt();
      await sleep(KEYRING_RECHECK_MS);
      expectUnavailable(await h.get(LIST, auth), 'digest_key_unavailable');
      rmSync(path, { recursive: true, force: true });
      writeFileSync(path, saved, { mode: 0o600 });
      await sleep(KEYRING_RECHECK_MS);
      expectListServed(await h.get(LIST, auth));
    }
  }, 30_000);
});

describe('file audio storage', () => {
  const dir = () => h.config.audioStorage.slice('file:'.length);

  it('folder removed or replaced by a file → 503 audio_storage_unavailable; restored → 200', async () => {
    const issued = await h.get(AUDIO, auth);
    expect(issued.statusCode).toBe(200);
    const media = new URL(issued.json().audio_url);
    const mediaPath = media.pathname + media.search;
    expect((await h.get(mediaPath)).statusCode).toBe(200);

    const aside = `${dir()}.aside`;
    renameSync(dir(), aside);
    expectUnavailable(await h.get(AUDIO, auth), 'audio_storage_unavailable');
    expectUnavailable(await h.get(mediaPath), 'audio_storage_unavailable');

    writeFileSync(dir(), 'not a folder');
    expectUnavailable(await h.get(AUDIO, auth), 'audio_storage_unavailable');
    expectUnavailable(await h.get(mediaPath), 'audio_storage_unavailable');
    // Routes that do not touch the storage are unaffected.
    expect((await h.get('/external/v1/encounters/enc_a1/documents/doc_amb/transcript', auth)).statusCode).toBe(200);

    unlinkSync(dir());
    renameSync(aside, dir());
    expect((await h.get(AUDIO, auth)).statusCode).toBe(200);
    const restored = await h.get(mediaPath);
    expect(restored.statusCode).toBe(200);
    expect(restored.rawPayload.equals(h.fixture.audio)).toBe(true);
  });

  it('a missing object is still a 404 audio_not_found, not an outage', async () => {
    const response = await h.get('/external/v1/encounters/enc_a1/documents/doc_amb_lost/audio', auth);
    expect(response.statusCode).toBe(404);
    expect(response.json().reason_code).toBe('audio_not_found');
  });
});

describe('S3 audio storage that cannot be reached', () => {
  let blackhole: Server;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    blackhole = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  });

  /** A second runtime on the harness's database, with the audio storage in S3 at `endpoint`. */
  async function s3Runtime(endpoint: string): Promise<Runtime> {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    try {
      const runtime = await createRuntime(
        { ...h.config, audioStorage: 's3://charthero-test/audio' },
        { logger: pino({ level: 'silent' }) as FastifyBaseLogger },
      );
      runtimes.push(runtime);
      return runtime;
    } finally {
      process.env = saved;
    }
  }

  it.each([
    ['a dead port (connection refused)', async () => `http://127.0.0.1:${await deadPort()}`],
    ['a peer that never answers', async () => `http://127.0.0.1:${(blackhole.address() as { port: number }).port}`],
  ])('%s → 503 audio_storage_unavailable within the 2 s storage timeout', async (_name, endpoint) => {
    const runtime = await s3Runtime(await endpoint());
    const started = performance.now();
    const response = await runtime.app.inject({ method: 'GET', url: AUDIO, headers: auth });
    const elapsed = performance.now() - started;
    expectUnavailable(response, 'audio_storage_unavailable');
    expect(elapsed).toBeLessThan(3000);
    // Other routes do not wait on the storage.
    expectListServed(await runtime.app.inject({ method: 'GET', url: LIST, headers: auth }));
  });
});
