/**
 * GET …/documents/{document_id}/audio → 200 `{"audio_url", "expires_at"}` (CONTRACT.md 6.4), and the signed media
 * URL it hands out (6.5): the exact bytes with the stored Content-Type, Range support, nothing else, until expiry.
 */
import { describe, expect, it } from 'vitest';
import { newestEntry } from '../../../src/access/digest-keyring.js';
import { loadKeyring } from '../../../src/access/keyring-source.js';
import { signMediaUrl } from '../../../src/media/signed-urls.js';
import { expectCommonHeaders, expectError, expectOk } from '../../support/expect-error.js';
import type { Harness } from '../../support/harness.js';
import { auth, localPart, pathOf, send } from '../../support/requests.js';
import { useHarness } from '../../support/use-harness.js';

const URL = pathOf('get_audio_url', 'enc_a1', 'doc_amb');
const MEDIA_URL = /^http:\/\/127\.0\.0\.1:8080\/media\/v1\/[A-Za-z0-9_-]+\?v=1&exp=(\d+)&sig=[A-Za-z0-9_-]+$/;
const WHOLE_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface AudioUrl {
  audio_url: string;
  expires_at: string;
}

async function issue(h: Harness): Promise<AudioUrl> {
  const before = Date.now();
  const response = await h.get(URL, auth(h));
  expectOk(response, { audio_url: expect.stringMatching(MEDIA_URL), expires_at: expect.stringMatching(WHOLE_SECONDS) });
  const body = JSON.parse(response.body) as AudioUrl;
  const ttl = (Date.parse(body.expires_at) - before) / 1000;
  expect(ttl, 'expires_at ≈ now + TTL').toBeGreaterThan(h.config.audioUrlTtlSeconds - 2);
  expect(ttl, 'expires_at ≈ now + TTL').toBeLessThanOrEqual(h.config.audioUrlTtlSeconds + 1);
  // The URL's own expiry is the one in the body.
  expect(Number(MEDIA_URL.exec(body.audio_url)![1]) * 1000).toBe(Date.parse(body.expires_at));
  return body;
}

describe('get_audio_url → 200', () => {
  const h = useHarness();

  it('a signed URL on the configured public base, valid for 900 seconds by default', async () => {
    expect(h.config.audioUrlTtlSeconds).toBe(900);
    await issue(h);
  });

  it('each issuance is recorded in the audit log', async () => {
    await issue(h);
    await h.runtime.audit.flush();
    const rows = await h.runtime.store.db
      .selectFrom('audit_events')
      .select(['key_id', 'organization_id', 'route_id', 'status', 'resource_ids'])
      .where('event', '=', 'audio_url_issued')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toEqual({
      key_id: h.fixture.keys.full.id,
      organization_id: 'org_alpha',
      route_id: 'get_audio_url',
      status: 200,
      resource_ids: JSON.stringify(['enc_a1', 'doc_amb']),
    });
  });

  it('HEAD: the same status and headers, no body', async () => {
    const get = await h.get(URL, auth(h));
    const head = await send(h, 'HEAD', URL, auth(h));
    expectOk(head, JSON.parse(get.body), { head: true });
  });

  describe('the media URL', () => {
    it('GET: 200 with the exact bytes, the stored Content-Type and Content-Length, no-store', async () => {
      const { audio_url } = await issue(h);
      const response = await h.get(localPart(audio_url));
      expect(response.statusCode).toBe(200);
      expectCommonHeaders(response);
      expect(response.headers['content-type']).toBe('audio/wav');
      expect(response.headers['content-length']).toBe(String(h.fixture.audio.length));
      expect(response.headers['accept-ranges']).toBe('bytes');
      expect(response.rawPayload.equals(h.fixture.audio)).toBe(true);
    });

    it.each([
      ['the first 44 bytes (the WAV header)', 'bytes=0-43', 0, 43],
      ['the last 10 bytes', 'bytes=-10', -10, -1],
      ['from byte 100 to the end', 'bytes=100-', 100, -1],
    ])('Range: %s → 206 with those bytes', async (_name, range, first, last) => {
      const { audio_url } = await issue(h);
      const size = h.fixture.audio.length;
      const start = first < 0 ? size + first : first;
      const end = last < 0 ? size + last : last;
      const response = await h.get(localPart(audio_url), { range });
      expect(response.statusCode).toBe(206);
      expectCommonHeaders(response);
      expect(response.headers['content-type']).toBe('audio/wav');
      expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
      expect(response.headers['content-length']).toBe(String(end - start + 1));
      expect(response.rawPayload.equals(h.fixture.audio.subarray(start, end + 1))).toBe(true);
    });

    it('HEAD: 200 with Content-Length and no body', async () => {
      const { audio_url } = await issue(h);
      const response = await send(h, 'HEAD', localPart(audio_url));
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('audio/wav');
      expect(response.headers['content-length']).toBe(String(h.fixture.audio.length));
      expect(response.rawPayload.length).toBe(0);
    });

    it('needs no API key, and ignores one', async () => {
      const { audio_url } = await issue(h);
      const response = await h.get(localPart(audio_url), auth(h, 'revoked'));
      expect(response.statusCode).toBe(200);
      expect(response.rawPayload.equals(h.fixture.audio)).toBe(true);
    });

    it.each([
      [
        'a changed signature',
        (url: URL) => url.searchParams.set('sig', `${url.searchParams.get('sig')!.slice(0, -2)}AA`),
      ],
      ['a later expiry', (url: URL) => url.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 60))],
      ['an unknown keyring version', (url: URL) => url.searchParams.set('v', '2')],
      ['no signature', (url: URL) => url.searchParams.delete('sig')],
      ['a repeated signature', (url: URL) => url.searchParams.append('sig', url.searchParams.get('sig')!)],
      [
        'another object',
        (url: URL) => {
          url.pathname = `/media/v1/${Buffer.from('org_alpha/doc_amb_lost.wav').toString('base64url')}`;
        },
      ],
    ])('grants nothing else: %s → 404 media_url_invalid', async (_name, tamper) => {
      const url = new globalThis.URL((await issue(h)).audio_url);
      tamper(url);
      expectError(await h.get(localPart(url.toString())), { reason_code: 'media_url_invalid' });
    });

    it('an expired URL → 404 media_url_invalid', async () => {
      const url = signMediaUrl({
        publicBaseUrl: h.config.publicBaseUrl,
        objectKey: 'org_alpha/doc_amb.wav',
        expiresAtMs: Date.now() - 1000,
        entry: newestEntry(loadKeyring(h.config)),
      });
      expectError(await h.get(localPart(url)), { reason_code: 'media_url_invalid' });
    });
  });
});

describe('get_audio_url → 200 with CHARTHERO_AUDIO_URL_TTL_SECONDS=60', () => {
  const h = useHarness({ env: { CHARTHERO_AUDIO_URL_TTL_SECONDS: '60' } });

  it('expires_at ≈ now + 60 seconds', async () => {
    expect(h.config.audioUrlTtlSeconds).toBe(60);
    await issue(h);
  });
});
