/**
 * The rate limiter shared by every instance (CHARTHERO_REDIS_URL): the same token buckets and the same arithmetic
 * as the in-memory limiter (`refill` in rate-limiter.ts), kept in Redis and updated by one Lua script, so every
 * bucket of a request is read, refilled, checked and charged in one atomic step (all or none).
 *
 * Decisions:
 * - Time comes from the Redis server (`TIME`) by default. Every instance then refills against one clock, so clock
 *   skew between instances can neither mint tokens nor starve a bucket. `clock: 'caller'` uses the time the
 *   pipeline passes instead (tests use it to drive the arithmetic exactly).
 * - A bucket is a hash `{t: tokens, u: updated ms}` that expires when it would be full again (plus a second): an
 *   absent bucket means a full one, so expiry loses nothing and idle keys do not pile up in Redis.
 * - Redis down, slow or failing never turns into an error response. The request is decided by an in-memory
 *   limiter instead (the same limits, counted per instance), a warning is logged once per outage and Redis is
 *   tried again after `retryAfterMs`. Falling back rather than failing open keeps a ceiling on every key while
 *   Redis is away; each instance then allows the full budget on its own, which is the best it can do alone.
 * - Every command has a deadline (`commandTimeoutMs`), is never retried (`maxRetriesPerRequest: 0`) and is never
 *   queued while disconnected (`enableOfflineQueue: false`), so an outage costs a request at most one timeout.
 * - Standalone Redis (or a primary with replicas). The script touches up to two keys that do not share a hash
 *   slot, so Redis Cluster is not supported.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import {
  type BucketSpec,
  bucketName,
  createMemoryRateLimiter,
  decision,
  type RateDecision,
  type RateLimiter,
} from './rate-limiter.js';

/**
 * KEYS: one hash per bucket. ARGV[1]: now in ms, or '' for the Redis server's clock; then rate and burst per
 * bucket. Returns {allowed (1/0), now, tokens after the decision per bucket}; numbers travel as `%.17g` strings,
 * which round-trip doubles exactly (Lua integers in replies would truncate).
 */
const CONSUME_SCRIPT = `
local now
if ARGV[1] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
else
  now = tonumber(ARGV[1])
end
local n = #KEYS
local tokens = {}
local allowed = true
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', KEYS[i], 't', 'u')
  local t = burst
  if state[1] and state[2] then
    local elapsed = math.max(0, now - tonumber(state[2])) / 1000
    t = math.min(burst, tonumber(state[1]) + elapsed * rate)
  end
  tokens[i] = t
  if t < 1 then allowed = false end
end
local reply = {allowed and 1 or 0, string.format('%.17g', now)}
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  if allowed then tokens[i] = tokens[i] - 1 end
  redis.call('HSET', KEYS[i], 't', string.format('%.17g', tokens[i]), 'u', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[i], math.ceil((burst - tokens[i]) / rate * 1000) + 1000)
  reply[#reply + 1] = string.format('%.17g', tokens[i])
end
return reply
`;

export interface RedisRateLimiterOptions {
  url: string;
  /** Prefix of every Redis key (default `charthero:rl:`); tests use one per run. */
  keyPrefix?: string;
  /** Deadline of one script call (default 200 ms). */
  commandTimeoutMs?: number;
  /** How long the first connection may take before the server starts on the fallback (default 1000 ms). */
  connectTimeoutMs?: number;
  /** After a failure, requests use the fallback for this long before Redis is tried again (default 1000 ms). */
  retryAfterMs?: number;
  /** `redis` (default): the Redis server's clock; `caller`: the `nowMs` passed to consume(). */
  clock?: 'redis' | 'caller';
  /** Decides while Redis is unavailable (default: a fresh in-memory limiter). */
  fallback?: RateLimiter;
  logger?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
}

export interface RedisRateLimiter extends RateLimiter {
  readonly kind: 'redis';
  /** Whether the last decision came from Redis (false while falling back). */
  healthy(): boolean;
}

interface ConsumeCommand {
  chartheroConsume(numKeys: number, ...args: string[]): Promise<unknown>;
}

function reasonOf(error: unknown): string {
  // Only the message: never the URL (it may carry a password).
  return error instanceof Error ? error.message : String(error);
}

export async function createRedisRateLimiter(options: RedisRateLimiterOptions): Promise<RedisRateLimiter> {
  const prefix = options.keyPrefix ?? 'charthero:rl:';
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const fallback = options.fallback ?? createMemoryRateLimiter();
  const clock = options.clock ?? 'redis';
  const redis = new Redis(options.url, {
    lazyConnect: true,
    commandTimeout: options.commandTimeoutMs ?? 200,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // Reconnect forever, at most every 2 s: the limiter heals on its own once Redis is back.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  redis.defineCommand('chartheroConsume', { lua: CONSUME_SCRIPT });
  // Connection errors surface through consume(); without a listener ioredis would print each one to the console.
  redis.on('error', () => {});

  let degraded = false;
  let bypassUntil = 0;
  let closed = false;

  function degrade(reason: string): void {
    bypassUntil = Date.now() + retryAfterMs;
    if (!degraded) {
      degraded = true;
      options.logger?.warn({ reason }, 'rate limiter: Redis unavailable, using per-instance limits');
    }
  }

  try {
    await redis.connect();
  } catch (error) {
    // The server starts anyway; ioredis keeps reconnecting in the background.
    degrade(reasonOf(error));
  }

  async function viaRedis(specs: readonly BucketSpec[], nowMs: number): Promise<RateDecision> {
    const args = [clock === 'caller' ? String(nowMs) : ''];
    for (const spec of specs) args.push(String(spec.ratePerSecond), String(spec.burst));
    const keys = specs.map((spec) => `${prefix}${bucketName(spec)}`);
    const reply = await (redis as unknown as ConsumeCommand).chartheroConsume(keys.length, ...keys, ...args);
    if (!Array.isArray(reply) || reply.length !== specs.length + 2) throw new Error('unexpected script reply');
    const tokens = reply.slice(2).map(Number);
    if (tokens.some((value) => !Number.isFinite(value))) throw new Error('unexpected script reply');
    return decision(specs, Number(reply[0]) === 1, tokens);
  }

  return {
    kind: 'redis',
    healthy: () => !degraded,
    async consume(specs, nowMs) {
      // Unlimited keys and organizations have no bucket: nothing to ask Redis.
      if (specs.length === 0) return decision(specs, true, []);
      if (closed || redis.status !== 'ready' || Date.now() < bypassUntil) {
        if (!closed && redis.status !== 'ready') degrade(`connection ${redis.status}`);
        return fallback.consume(specs, nowMs);
      }
      try {
        const result = await viaRedis(specs, nowMs);
        if (degraded) {
          degraded = false;
          options.logger?.info('rate limiter: Redis available again, limits are shared');
        }
        return result;
      } catch (error) {
        degrade(reasonOf(error));
        return fallback.consume(specs, nowMs);
      }
    },
    async close() {
      closed = true;
      await fallback.close();
      if (redis.status === 'ready') {
        // quit() waits for pending replies; a hung server must not hold up shutdown.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise((resolve) => {
          timer = setTimeout(resolve, 500);
        });
        await Promise.race([redis.quit().catch(() => {}), deadline]);
        clearTimeout(timer);
      }
      redis.disconnect();
    },
  };
}
