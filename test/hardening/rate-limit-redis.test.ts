/**
 * Rate limits shared through Redis (CONTRACT.md section 7), against the real Redis at 127.0.0.1:6379. Every limiter
 * here writes under a key prefix unique to this run, and the keys are deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASONS } from '../../src/contract/reasons.js';
import { ROUTE_IDS } from '../../src/contract/routes.js';
import { type BucketSpec, createMemoryRateLimiter, type RateLimiter } from '../../src/limits/rate-limiter.js';
import { createRedisRateLimiter, type RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { insertOrganization } from '../../src/store/organizations.js';
import { addKey } from '../support/fixture.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deadPort, startTcpProxy } from './support/tcp-proxy.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `charthero-test:${randomBytes(6).toString('hex')}:`;
const LIST = '/external/v1/encounters?limit=1';
const RATE_LIMITED_BODY = {
  error: 'public_api_rate_limited',
  reason_code: 'rate_limited',
  message: REASONS.rate_limited.message,
  field: null,
};

let admin: Redis;
const limiters: RateLimiter[] = [];

function memoryLogger(lines: string[]): FastifyBaseLogger {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) as FastifyBaseLogger;
}

async function redisLimiter(options: Partial<Parameters<typeof createRedisRateLimiter>[0]> = {}) {
  const limiter = await createRedisRateLimiter({ url: REDIS_URL, keyPrefix: PREFIX, ...options });
  limiters.push(limiter);
  return limiter;
}

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // Fails (not skips) when Redis is unreachable: these tests are the proof that limits are shared.
  await admin.connect();
});

afterAll(async () => {
  for (const limiter of limiters) await limiter.close();
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

describe('the Lua script', () => {
  it('makes exactly the decisions of the in-memory limiter (same arithmetic, caller clock)', async () => {
    const redis = await redisLimiter({ clock: 'caller' });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: 700 }),
            withOrg: fc.boolean(),
            key: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (keyRate, orgRate, steps) => {
          run++;
          const memory = createMemoryRateLimiter();
          const org: BucketSpec = { policy: 'organization', id: `o${run}`, ratePerSecond: orgRate, burst: orgRate * 2 };
          let now = 1_700_000_000_000;
          for (const step of steps) {
            now += step.gapMs;
            const key: BucketSpec = {
              policy: 'key',
              id: `k${run}-${step.key}`,
              ratePerSecond: keyRate,
              burst: keyRate * 2,
            };
            const specs = step.withOrg ? [key, org] : [key];
            expect(await redis.consume(specs, now)).toEqual(await memory.consume(specs, now));
          }
        },
      ),
      { numRuns: 40 },
    );
    expect(redis.healthy()).toBe(true);
  });

  it('charges all buckets of a request or none, and lets idle buckets expire when they would be full', async () => {
    const redis = await redisLimiter({ clock: 'caller' });
    const key: BucketSpec = { policy: 'key', id: 'atomic-key', ratePerSecond: 1, burst: 3 };
    const org: BucketSpec = { policy: 'organization', id: 'atomic-org', ratePerSecond: 2, burst: 1 };
    expect((await redis.consume([key, org], 10_000)).allowed).toBe(true);
    const refused = await redis.consume([key, org], 10_000);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(refused.buckets.map((bucket) => bucket.remaining)).toEqual([2, 0]);
    expect(await admin.hget(`${PREFIX}key:atomic-key`, 't')).toBe('2');
    // Key bucket: 1 token short at 1/s → full in 1 s, kept 1 s longer. Organization: 1 short at 2/s → 0.5 s + 1 s.
    const keyTtl = await admin.pttl(`${PREFIX}key:atomic-key`);
    const orgTtl = await admin.pttl(`${PREFIX}organization:atomic-org`);
    expect(keyTtl).toBeGreaterThan(1500);
    expect(keyTtl).toBeLessThanOrEqual(2000);
    expect(orgTtl).toBeGreaterThan(1000);
    expect(orgTtl).toBeLessThanOrEqual(1500);
  });

  it('uses the Redis server clock by default (the caller time is ignored)', async () => {
    const redis = await redisLimiter();
    const spec: BucketSpec = { policy: 'key', id: 'server-clock', ratePerSecond: 1, burst: 1 };
    expect((await redis.consume([spec], 0)).allowed).toBe(true);
    // A caller clock an hour ahead would have refilled the bucket; the server clock has not moved a second.
    expect((await redis.consume([spec], 3_600_000)).allowed).toBe(false);
    const [seconds] = await admin.time();
    const updatedMs = Number(await admin.hget(`${PREFIX}key:server-clock`, 'u'));
    expect(Math.abs(updatedMs - Number(seconds) * 1000)).toBeLessThan(5000);
  });
});

describe('two server instances sharing Redis', () => {
  let h: Harness;
  let second: Runtime;

  beforeAll(async () => {
    h = await startHarness({ runtime: { rateLimiter: await redisLimiter() } });
    second = await createRuntime(h.config, {
      logger: memoryLogger([]),
      rateLimiter: await redisLimiter(),
    });
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  const call = (runtime: Runtime, secret: string) =>
    runtime.app.inject({ method: 'GET', url: LIST, headers: { authorization: `Bearer ${secret}` } });

  it('share one per-key budget, and the 429 carries the exact body and headers', async () => {
    const key = await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 1 });
    const first = await call(h.runtime, key.secret);
    expect(first.statusCode).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"key";q=2;w=2');
    expect(first.headers.ratelimit).toBe('"key";r=1;t=1');
    const onSecond = await call(second, key.secret);
    expect(onSecond.statusCode).toBe(200);
    expect(onSecond.headers.ratelimit).toBe('"key";r=0;t=2');

    for (const runtime of [h.runtime, second]) {
      const refused = await call(runtime, key.secret);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual(RATE_LIMITED_BODY);
      expect(Object.keys(refused.json())).toEqual(['error', 'reason_code', 'message', 'field']);
      expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['ratelimit-policy']).toBe('"key";q=2;w=2');
      expect(refused.headers.ratelimit).toBe('"key";r=0;t=2');
      expect(refused.headers['cache-control']).toBe('no-store');
      expect(refused.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(refused.headers['www-authenticate']).toBeUndefined();
    }
  });

  it("share one per-organization budget across the organization's keys", async () => {
    await insertOrganization(h.runtime.store.db, {
      id: 'org_limited',
      name: 'org_limited',
      allowlisted: 1,
      api_keys_enabled: 1,
      rate_limit_per_second: 1,
      enabled_routes: ROUTE_IDS.join(','),
      state_version: 1,
      created_at_ms: Date.now(),
    });
    const one = await addKey(h.runtime, h.config, { organizationId: 'org_limited', rateLimitPerSecond: 0 });
    const two = await addKey(h.runtime, h.config, { organizationId: 'org_limited', rateLimitPerSecond: 0 });
    expect((await call(h.runtime, one.secret)).statusCode).toBe(200);
    expect((await call(second, two.secret)).statusCode).toBe(200);
    const refused = await call(h.runtime, two.secret);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual(RATE_LIMITED_BODY);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['ratelimit-policy']).toBe('"organization";q=2;w=2');
    expect(refused.headers.ratelimit).toBe('"organization";r=0;t=2');
  });

  it('a limit a single instance would not reach is reached by the two together (control: memory limiters)', async () => {
    const key = await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 2 });
    // Burst 4: two each, then both refuse. Separate in-memory limiters would each still have two tokens left.
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call(h.runtime, key.secret)).statusCode, (await call(second, key.secret)).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});

describe('configuration wiring', () => {
  it('CHARTHERO_REDIS_URL makes the runtime use the Redis limiter', async () => {
    const h = await startHarness({ env: { CHARTHERO_REDIS_URL: REDIS_URL } });
    try {
      expect((h.runtime.rateLimiter as Partial<RedisRateLimiter>).kind).toBe('redis');
      const response = await h.get(LIST, { authorization: `Bearer ${h.fixture.keys.full.secret}` });
      expect(response.statusCode).toBe(200);
      const bucket = `charthero:rl:key:${h.fixture.keys.full.id}`;
      expect(await admin.hget(bucket, 't')).toMatch(/^99(\.\d+)?$/);
      expect(await admin.pttl(bucket)).toBeGreaterThan(0);
      await admin.del(bucket);
    } finally {
      await h.close();
    }
  });

  it('without it the runtime keeps its limits in memory', async () => {
    const h = await startHarness();
    try {
      expect((h.runtime.rateLimiter as Partial<RedisRateLimiter>).kind).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});

describe('when Redis is unreachable', () => {
  it('at startup: the server starts, limits per instance, never answers 5xx, and logs one warning', async () => {
    const lines: string[] = [];
    const logger = memoryLogger(lines);
    const limiter = await redisLimiter({ url: `redis://127.0.0.1:${await deadPort()}`, logger });
    const h = await startHarness({ runtime: { rateLimiter: limiter } });
    try {
      const key = await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 1 });
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await h.get(LIST, { authorization: `Bearer ${key.secret}` })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(limiter.healthy()).toBe(false);
      const warnings = lines.filter((line) => line.includes('rate limiter: Redis unavailable'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!).level).toBe(40);
    } finally {
      await h.close();
    }
  });

  it('mid-run (refused, then hung): falls back within the command timeout, then shares limits again', async () => {
    const proxy = await startTcpProxy(6379, new URL(REDIS_URL).hostname);
    const lines: string[] = [];
    const limiter = await redisLimiter({
      url: `redis://127.0.0.1:${proxy.port}`,
      logger: memoryLogger(lines),
      retryAfterMs: 200,
    });
    const spec = (id: string): BucketSpec => ({ policy: 'key', id, ratePerSecond: 100, burst: 200 });
    try {
      await limiter.consume([spec('mid')], Date.now());
      expect(limiter.healthy()).toBe(true);
      expect(await admin.hget(`${PREFIX}key:mid`, 't')).toMatch(/^199/);

      // Hung: the connection stays open but nothing comes back.
      proxy.mode = 'blackhole';
      const hungStart = performance.now();
      const hung = await limiter.consume([spec('mid')], Date.now());
      const hungMs = performance.now() - hungStart;
      expect(hung.allowed).toBe(true);
      expect(hungMs).toBeLessThan(1000); // 200 ms command timeout, plus scheduling
      expect(limiter.healthy()).toBe(false);
      // During the back-off the fallback answers at once.
      const quickStart = performance.now();
      await limiter.consume([spec('mid')], Date.now());
      expect(performance.now() - quickStart).toBeLessThan(50);

      // Refused: every connection dropped and the port closed.
      await proxy.down();
      proxy.mode = 'forward';
      await new Promise((resolve) => setTimeout(resolve, 300));
      const downStart = performance.now();
      expect((await limiter.consume([spec('mid')], Date.now())).allowed).toBe(true);
      expect(performance.now() - downStart).toBeLessThan(50);

      // Back: ioredis reconnects on its own (back-off ≤ 2 s), and decisions come from Redis again.
      await proxy.up();
      const deadline = Date.now() + 8000;
      while (!limiter.healthy() && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await limiter.consume([spec('after')], Date.now());
      }
      expect(limiter.healthy()).toBe(true);
      expect(await admin.hget(`${PREFIX}key:after`, 't')).not.toBeNull();
      expect(lines.filter((line) => line.includes('Redis unavailable'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('Redis available again'))).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  }, 20_000);
});
