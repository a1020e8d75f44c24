/**
 * GET /external/v1/encounters → 401 (CONTRACT.md 2.1, steps 2–8 of section 4). This file also holds the
 * route-independent checks of the key lifecycle: the expiry boundary, revocation reaching a running instance within
 * a second, and duplicate Authorization headers over a real socket.
 */

import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { setKeyStatus } from '../../../src/store/api-keys.js';
import { expectError, expectOk } from '../../support/expect-error.js';
import { addKey } from '../../support/fixture.js';
import { auth, BAD_QUERY, bearer, OK_URL, send, sleep } from '../../support/requests.js';
import { unauthorizedSuite } from '../../support/route-suites/unauthorized.js';

const URL = OK_URL.list_encounters;
/** null: the real clock; a number: the clock is frozen there. */
let frozen: number | null = null;

unauthorizedSuite('list_encounters', {
  sandboxHarness: { runtime: { now: () => frozen ?? Date.now() } },
  sandbox: (h) => {
    describe('order of checks', () => {
      it('a revoked key with ?limit=0 gets revoked_key, not invalid_limit', async () => {
        expectError(await h.get(`${URL}?limit=0`, auth(h, 'revoked')), { reason_code: 'revoked_key' });
      });

      it.each([
        ['no Authorization header', 'missing_bearer', {}],
        ['junk token', 'malformed_token', { authorization: 'Bearer junk' }],
      ] as const)('%s with a bad query and an unsupported key gets %s', async (_name, reason_code, headers) => {
        expectError(await h.get(`${URL}?x=1&limit=0`, headers), { reason_code });
      });

      it.each([
        ['disabled', 'disabled_key'],
        ['expired', 'expired_key'],
        ['orgKeysOff', 'api_keys_disabled'],
      ] as const)('the %s key with a bad query gets %s', async (key, reason_code) => {
        expectError(await h.get(`${URL}${BAD_QUERY.list_encounters}&x=1`, auth(h, key)), { reason_code });
      });

      it('revoked beats expired, disabled beats expired', async () => {
        const past = Date.now() - 60_000;
        const revoked = await addKey(h.runtime, h.config, { expiresAtMs: past, status: 'revoked' });
        const disabled = await addKey(h.runtime, h.config, { expiresAtMs: past, status: 'disabled' });
        expectError(await h.get(URL, bearer(revoked.secret)), { reason_code: 'revoked_key' });
        expectError(await h.get(URL, bearer(disabled.secret)), { reason_code: 'disabled_key' });
      });
    });

    describe('expiry: expires_at at or before now', () => {
      it('is served one millisecond before expires_at, and refused from expires_at on', async () => {
        const at = Date.now() + 60_000;
        const key = await addKey(h.runtime, h.config, { expiresAtMs: at });
        try {
          frozen = at - 1;
          expectOk(await h.get(`${URL}?limit=1`, bearer(key.secret)), expect.objectContaining({ limit: 1 }));
          frozen = at;
          expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'expired_key' });
          frozen = at + 1;
          expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'expired_key' });
        } finally {
          frozen = null;
        }
      });
    });

    describe('a key changed while in use (section 3.2: within 1 second on every running instance)', () => {
      it.each([
        ['revoked', 'revoked_key'],
        ['disabled', 'disabled_key'],
      ] as const)('a cached key that is %s is refused with %s a second later', async (status, reason_code) => {
        const key = await addKey(h.runtime, h.config);
        expectOk(await h.get(`${URL}?limit=1`, bearer(key.secret)), expect.objectContaining({ limit: 1 }));
        await setKeyStatus(h.runtime.store.db, key.id, status);
        await sleep(1000);
        expectError(await h.get(URL, bearer(key.secret)), { reason_code });
      });

      it('a disabled key that is enabled again is served again', async () => {
        const key = await addKey(h.runtime, h.config, { status: 'disabled' });
        expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'disabled_key' });
        await setKeyStatus(h.runtime.store.db, key.id, 'active');
        await sleep(1000);
        expectOk(await h.get(`${URL}?limit=1`, bearer(key.secret)), expect.objectContaining({ limit: 1 }));
      });
    });

    describe('HEAD', () => {
      it.each([
        ['no Authorization header', 'missing_bearer', 'full' as const, false],
        ['a revoked key', 'revoked_key', 'revoked' as const, true],
      ] as const)('with %s: 401 %s, headers and no body', async (_name, reason_code, key, sendKey) => {
        const response = await send(h, 'HEAD', URL, sendKey ? auth(h, key) : {});
        expectError(response, { reason_code, head: true });
      });
    });

    describe('X-Request-Id on errors', () => {
      it.each([
        ['letters, digits, dot, dash and underscore', 'partner-req.42_A'],
        ['one character', 'a'],
        ['128 characters', 'r'.repeat(128)],
      ])('echoes a valid incoming id (%s)', async (_name, id) => {
        const response = await h.get(URL, { 'x-request-id': id });
        expectError(response, { reason_code: 'missing_bearer' });
        expect(response.headers['x-request-id']).toBe(id);
      });

      it.each([
        ['too long', 'a'.repeat(129)],
        ['with a space', 'a b'],
        ['with a slash', 'a/b'],
        ['empty', ''],
      ])('replaces an invalid one (%s)', async (_name, id) => {
        const response = await h.get(URL, { 'x-request-id': id });
        expectError(response, { reason_code: 'missing_bearer' });
        expect(response.headers['x-request-id']).not.toBe(id);
      });
    });

    describe('several Authorization headers over a real socket', () => {
      it('Node keeps both header lines and the request gets malformed_token', async () => {
        await h.runtime.app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = h.runtime.app.server.address() as AddressInfo;
        const token = h.fixture.keys.full.secret;
        const { status, headers, body } = await new Promise<{
          status: number;
          headers: Record<string, unknown>;
          body: string;
        }>((resolve, reject) => {
          const request = httpRequest({ host: '127.0.0.1', port, path: URL, method: 'GET' }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => {
              text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
          });
          request.setHeader('authorization', [`Bearer ${token}`, `Bearer ${token}`]);
          request.on('error', reject);
          request.end();
        });
        expect(status).toBe(401);
        expect(headers['www-authenticate']).toBe('Bearer realm="charthero", error="invalid_token"');
        expect(JSON.parse(body)).toStrictEqual({
          error: 'api_key_unauthorized',
          reason_code: 'malformed_token',
          message: expect.any(String),
          field: null,
        });
      });
    });
  },
  production: {
    before: (h) => {
      it('runs with a private keyring file (mode 600), as production requires', () => {
        expect(statSync(h.config.digestKeysFile).mode & 0o777).toBe(0o600);
        expect(h.fixture.keys.full.secret.startsWith('ch_sk_live_')).toBe(true);
      });
    },
    after: (h) => {
      it('serves a live key', async () => {
        const response = await h.get(`${URL}?limit=1`, auth(h));
        expectOk(response, expect.objectContaining({ limit: 1, offset: 0, sort_order: 'desc' }));
      });
    },
  },
});
