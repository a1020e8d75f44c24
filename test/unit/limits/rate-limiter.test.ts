import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyState, OrganizationState } from '../../../src/access/key-state.js';
import { PublicError } from '../../../src/contract/errors.js';
import { bucketsFor, requireWithinRateLimit } from '../../../src/limits/enforce.js';
import {
  type BucketSpec,
  bucketState,
  createMemoryRateLimiter,
  decision,
  rateLimitHeaders,
  refill,
} from '../../../src/limits/rate-limiter.js';

const KEY: BucketSpec = { policy: 'key', id: 'key_1', ratePerSecond: 50, burst: 100 };
const ORG: BucketSpec = { policy: 'organization', id: 'org_1', ratePerSecond: 10, burst: 20 };

describe('refill', () => {
  it('starts a new bucket full', () => {
    expect(refill(undefined, KEY, 1000)).toEqual({ tokens: 100, updatedMs: 1000 });
  });

  it('adds rate × elapsed seconds, capped at the burst', () => {
    expect(refill({ tokens: 0, updatedMs: 1000 }, KEY, 1100)).toEqual({ tokens: 5, updatedMs: 1100 });
    expect(refill({ tokens: 0, updatedMs: 1000 }, KEY, 2000)).toEqual({ tokens: 50, updatedMs: 2000 });
    expect(refill({ tokens: 99, updatedMs: 0 }, KEY, 60_000)).toEqual({ tokens: 100, updatedMs: 60_000 });
  });

  it('never refills backwards when the clock steps back', () => {
    expect(refill({ tokens: 3, updatedMs: 5000 }, KEY, 4000)).toEqual({ tokens: 3, updatedMs: 4000 });
  });

  it('stays within [previous, burst] for any input', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (tokens, updatedMs, nowMs) => {
          const next = refill({ tokens, updatedMs }, KEY, nowMs);
          expect(next.tokens).toBeGreaterThanOrEqual(tokens);
          expect(next.tokens).toBeLessThanOrEqual(KEY.burst);
          expect(next.updatedMs).toBe(nowMs);
        },
      ),
    );
  });
});

describe('bucketState and decision', () => {
  it('floors the remaining tokens and rounds the reset up', () => {
    expect(bucketState(KEY, 99.5)).toEqual({ spec: KEY, remaining: 99, resetSeconds: 1 });
    expect(bucketState(KEY, 100)).toEqual({ spec: KEY, remaining: 100, resetSeconds: 0 });
    expect(bucketState(KEY, 0.2)).toEqual({ spec: KEY, remaining: 0, resetSeconds: 2 });
  });

  it('Retry-After is the wait for a whole token in the slowest empty bucket, at least 1 s', () => {
    expect(decision([KEY, ORG], false, [50, 0.5])).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const slow: BucketSpec = { policy: 'key', id: 'k', ratePerSecond: 0.1, burst: 1 };
    expect(decision([slow], false, [0.25]).retryAfterSeconds).toBe(8); // (1 - 0.25) / 0.1 = 7.5 → 8
    expect(decision([KEY], true, [3]).retryAfterSeconds).toBe(0);
  });
});

describe('memory limiter', () => {
  it('allows the burst, then refuses, then refills at the rate', async () => {
    const limiter = createMemoryRateLimiter();
    const spec: BucketSpec = { policy: 'key', id: 'k', ratePerSecond: 2, burst: 4 };
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await limiter.consume([spec], 0));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
    expect(results.map((r) => r.buckets[0]!.remaining)).toEqual([3, 2, 1, 0, 0]);
    expect(results[4]).toMatchObject({ retryAfterSeconds: 1 });
    expect((await limiter.consume([spec], 499)).allowed).toBe(false); // 0.998 tokens
    expect((await limiter.consume([spec], 500)).allowed).toBe(true); // 1 token
  });

  it('charges every bucket of a request or none of them', async () => {
    const limiter = createMemoryRateLimiter();
    const key: BucketSpec = { policy: 'key', id: 'k', ratePerSecond: 1, burst: 3 };
    const org: BucketSpec = { policy: 'organization', id: 'o', ratePerSecond: 1, burst: 1 };
    expect((await limiter.consume([key, org], 0)).allowed).toBe(true);
    const refused = await limiter.consume([key, org], 0);
    expect(refused.allowed).toBe(false);
    // The key bucket was not charged by the refused request.
    expect(refused.buckets.map((b) => b.remaining)).toEqual([2, 0]);
    expect((await limiter.consume([key], 0)).buckets[0]!.remaining).toBe(1);
  });

  it('keeps buckets of different keys apart and evicts the least recently used beyond its bound', async () => {
    const limiter = createMemoryRateLimiter(2);
    const spec = (id: string): BucketSpec => ({ policy: 'key', id, ratePerSecond: 1, burst: 1 });
    expect((await limiter.consume([spec('a')], 0)).allowed).toBe(true);
    expect((await limiter.consume([spec('b')], 0)).allowed).toBe(true);
    expect((await limiter.consume([spec('a')], 0)).allowed).toBe(false);
    await limiter.consume([spec('c')], 0); // evicts b (a was used more recently)
    expect((await limiter.consume([spec('b')], 0)).allowed).toBe(true);
  });

  it('never allows more than burst + rate × elapsed over any run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }),
        async (rate, gaps) => {
          const limiter = createMemoryRateLimiter();
          const spec: BucketSpec = { policy: 'key', id: 'k', ratePerSecond: rate, burst: rate * 2 };
          let now = 0;
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            if ((await limiter.consume([spec], now)).allowed) allowed++;
          }
          expect(allowed).toBeLessThanOrEqual(spec.burst + Math.floor((rate * now) / 1000));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('headers', () => {
  it('one item per bucket, key first', () => {
    expect(
      rateLimitHeaders({
        allowed: true,
        retryAfterSeconds: 0,
        buckets: [bucketState(KEY, 99), bucketState(ORG, 19.5)],
      }),
    ).toEqual({
      'ratelimit-policy': '"key";q=100;w=2, "organization";q=20;w=2',
      ratelimit: '"key";r=99;t=1, "organization";r=19;t=1',
    });
  });

  it('none when no bucket applies (unlimited key and organization)', () => {
    expect(rateLimitHeaders({ allowed: true, retryAfterSeconds: 0, buckets: [] })).toEqual({});
  });
});

describe('bucketsFor and requireWithinRateLimit', () => {
  const key = (rateLimitPerSecond: number | null): KeyState => ({
    id: 'key_1',
    organizationId: 'org_1',
    scopes: new Set(),
    status: 'active',
    expiresAtMs: null,
    rateLimitPerSecond,
    digestKeyVersion: 1,
    version: 1,
  });
  const org = (rateLimitPerSecond: number): OrganizationState => ({
    id: 'org_1',
    allowlisted: true,
    apiKeysEnabled: true,
    rateLimitPerSecond,
    enabledRoutes: new Set(),
    version: 1,
  });
  const defaults = { defaultKeyRateLimitPerSecond: 50, defaultKeyRateBurst: 100 };

  it('uses the deployment default (50/s, burst 100) for a key without its own limit', () => {
    expect(bucketsFor(key(null), org(0), defaults)).toEqual([KEY]);
  });

  it("uses the key's own rate with a burst of twice the rate, and adds the organization's bucket", () => {
    expect(bucketsFor(key(5), org(7), defaults)).toEqual([
      { policy: 'key', id: 'key_1', ratePerSecond: 5, burst: 10 },
      { policy: 'organization', id: 'org_1', ratePerSecond: 7, burst: 14 },
    ]);
  });

  it('0 means unlimited, for keys and organizations', () => {
    expect(bucketsFor(key(0), org(0), defaults)).toEqual([]);
    expect(bucketsFor(key(0), null, defaults)).toEqual([]);
  });

  it('refuses with 429 rate_limited and the computed Retry-After', () => {
    expect(() => requireWithinRateLimit({ allowed: true, retryAfterSeconds: 0, buckets: [] })).not.toThrow();
    try {
      requireWithinRateLimit({ allowed: false, retryAfterSeconds: 3, buckets: [] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PublicError);
      expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterSeconds: 3 });
    }
  });
});
