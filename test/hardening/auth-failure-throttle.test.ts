/**
 * The failed-authentication throttle (docs/limits.md, step 5a of docs/order-of-checks.md): an address whose
 * requests got more than CHARTHERO_AUTH_FAILURE_LIMIT (default 20) failed authentications in the last 10 s gets
 * 429 rate_limited with Retry-After for every well-formed key, without a digest or a database read; other
 * addresses are unaffected; behind CHARTHERO_TRUST_PROXY the forwarded address counts, and only from trusted peers.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectError, expectOk } from '../support/expect-error.js';
import { OK_BODY } from '../support/expected.js';
import type { Harness } from '../support/harness.js';
import { makeToken } from '../support/keys.js';
import { OK_URL } from '../support/requests.js';
import { useHarness } from '../support/use-harness.js';

const URL = OK_URL.get_encounter;
const ATTACKER = '203.0.113.9';
const NEIGHBOUR = '198.51.100.4';

/** A clock the test moves: the throttle's window is the pipeline's `now`. */
const clock = { ms: Date.now() };

function request(
  h: Harness,
  token: string,
  options: { from?: string; forwardedFor?: string } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (options.forwardedFor !== undefined) headers['x-forwarded-for'] = options.forwardedFor;
  return h.runtime.app.inject({ method: 'GET', url: URL, headers, remoteAddress: options.from ?? ATTACKER });
}

/** Spies on every store read authentication makes; `reads()` counts them. */
function spyOnLookups(h: Harness) {
  const findKey = vi.spyOn(h.runtime.directory, 'findKey');
  const findOrganization = vi.spyOn(h.runtime.directory, 'findOrganization');
  return { reads: () => findKey.mock.calls.length + findOrganization.mock.calls.length };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('with the default limit (20 failures per 10 s)', () => {
  // '' is "unset": the production default, not the harness's 0.
  const h = useHarness({ env: { CHARTHERO_AUTH_FAILURE_LIMIT: '' }, runtime: { now: () => clock.ms } });

  it('answers the 21 failures, then 429 for every well-formed key from that address, reading nothing', async () => {
    for (let i = 0; i < 20; i++) expectError(await request(h, makeToken('test')), { reason_code: 'invalid_key' });
    // The 21st failure is still answered: the limit is "more than 20".
    expectError(await request(h, h.fixture.keys.revoked.secret), { reason_code: 'revoked_key' });

    const spy = spyOnLookups(h);
    const throttled = await request(h, makeToken('test'));
    expectError(throttled, { reason_code: 'rate_limited', rateLimitHeaders: false });
    expect(throttled.headers['retry-after']).toBe('10');
    expect(throttled.json().message).toBe('Too many failed authentications from this client address.');
    // Even the valid key: the address has spent its budget, and checking the key would cost the digest it saves.
    expectError(await request(h, h.fixture.keys.full.secret), { reason_code: 'rate_limited', rateLimitHeaders: false });
    expect(spy.reads(), 'a throttled request costs no digest and no database read').toBe(0);

    // Steps 2–5 still come first: no bearer or a malformed token is answered as such, not throttled.
    expectError(await request(h, 'not-a-key'), { reason_code: 'malformed_token' });
    // Another address is unaffected.
    expectOk(await request(h, h.fixture.keys.full.secret, { from: NEIGHBOUR }), OK_BODY.get_encounter);
  });

  it('counts down Retry-After and lets the address in once its window has room', async () => {
    clock.ms += 4_000;
    const later = await request(h, makeToken('test'));
    expectError(later, { reason_code: 'rate_limited', rateLimitHeaders: false });
    expect(later.headers['retry-after']).toBe('6');
    clock.ms += 6_000;
    expectOk(await request(h, h.fixture.keys.full.secret), OK_BODY.get_encounter);
  });

  it('counts revoked, disabled and expired keys as failures too', async () => {
    clock.ms += 60_000;
    const from = '192.0.2.77';
    const failing = [h.fixture.keys.revoked, h.fixture.keys.disabled, h.fixture.keys.expired];
    const codes = ['revoked_key', 'disabled_key', 'expired_key'] as const;
    for (let i = 0; i < 21; i++) {
      expectError(await request(h, failing[i % 3]!.secret, { from }), { reason_code: codes[i % 3]! });
    }
    expectError(await request(h, h.fixture.keys.full.secret, { from }), {
      reason_code: 'rate_limited',
      rateLimitHeaders: false,
    });
  });

  it('does not count refusals after authentication (a known, usable key refused later is not guessing)', async () => {
    clock.ms += 60_000;
    const from = '192.0.2.78';
    for (let i = 0; i < 30; i++) {
      expectError(await request(h, h.fixture.keys.orgKeysOff.secret, { from }), { reason_code: 'api_keys_disabled' });
    }
    expectOk(await request(h, h.fixture.keys.full.secret, { from }), OK_BODY.get_encounter);
  });

  it('ignores X-Forwarded-For without CHARTHERO_TRUST_PROXY: a spoofed header buys no fresh budget', async () => {
    clock.ms += 60_000;
    const from = '192.0.2.79';
    for (let i = 0; i < 21; i++) {
      const forwardedFor = `198.18.0.${i}`;
      expectError(await request(h, makeToken('test'), { from, forwardedFor }), { reason_code: 'invalid_key' });
    }
    expectError(await request(h, makeToken('test'), { from, forwardedFor: '198.18.1.1' }), {
      reason_code: 'rate_limited',
      rateLimitHeaders: false,
    });
  });
});

describe('CHARTHERO_AUTH_FAILURE_LIMIT=0', () => {
  const h = useHarness({ env: { CHARTHERO_AUTH_FAILURE_LIMIT: '0' } });

  it('never throttles', async () => {
    for (let i = 0; i < 60; i++) expectError(await request(h, makeToken('test')), { reason_code: 'invalid_key' });
    expectOk(await request(h, h.fixture.keys.full.secret), OK_BODY.get_encounter);
  });
});

describe('CHARTHERO_TRUST_PROXY=1 (one proxy in front)', () => {
  const h = useHarness({ env: { CHARTHERO_AUTH_FAILURE_LIMIT: '3', CHARTHERO_TRUST_PROXY: '1' } });
  const PROXY = '10.0.0.5';

  it('throttles the address the proxy reports, not the proxy', async () => {
    for (let i = 0; i < 4; i++) {
      // A client cannot hide behind entries of its own: with one trusted hop, only the last entry counts.
      const forwardedFor = `198.18.0.${i}, ${ATTACKER}`;
      expectError(await request(h, makeToken('test'), { from: PROXY, forwardedFor }), { reason_code: 'invalid_key' });
    }
    expectError(await request(h, makeToken('test'), { from: PROXY, forwardedFor: ATTACKER }), {
      reason_code: 'rate_limited',
      rateLimitHeaders: false,
    });
    // Another client behind the same proxy is served.
    expectOk(
      await request(h, h.fixture.keys.full.secret, { from: PROXY, forwardedFor: NEIGHBOUR }),
      OK_BODY.get_encounter,
    );
  });
});

describe('CHARTHERO_TRUST_PROXY as CIDRs', () => {
  const h = useHarness({ env: { CHARTHERO_AUTH_FAILURE_LIMIT: '3', CHARTHERO_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' } });

  it('believes X-Forwarded-For from a listed proxy', async () => {
    for (let i = 0; i < 4; i++) {
      const from = i % 2 === 0 ? '10.1.2.3' : '192.0.2.1';
      expectError(await request(h, makeToken('test'), { from, forwardedFor: ATTACKER }), {
        reason_code: 'invalid_key',
      });
    }
    expectError(await request(h, makeToken('test'), { from: '10.9.9.9', forwardedFor: ATTACKER }), {
      reason_code: 'rate_limited',
      rateLimitHeaders: false,
    });
  });

  it('does not believe it from any other peer: the peer itself is throttled', async () => {
    const untrusted = '192.0.2.50';
    for (let i = 0; i < 4; i++) {
      const forwardedFor = `198.18.2.${i}`;
      expectError(await request(h, makeToken('test'), { from: untrusted, forwardedFor }), {
        reason_code: 'invalid_key',
      });
    }
    expectError(await request(h, makeToken('test'), { from: untrusted, forwardedFor: '198.18.3.1' }), {
      reason_code: 'rate_limited',
      rateLimitHeaders: false,
    });
    // The address it claimed to forward for was never charged.
    expectOk(
      await request(h, h.fixture.keys.full.secret, { from: '10.1.1.1', forwardedFor: '198.18.2.0' }),
      OK_BODY.get_encounter,
    );
  });
});
