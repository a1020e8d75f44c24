/** Picks the rate limiter for the configuration: shared in Redis when CHARTHERO_REDIS_URL is set, else in memory. */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import { createMemoryRateLimiter, type RateLimiter } from './rate-limiter.js';

export async function openRateLimiter(
  config: Pick<Config, 'redisUrl'>,
  logger?: Pick<FastifyBaseLogger, 'warn' | 'info'>,
): Promise<RateLimiter> {
  if (config.redisUrl === undefined) return createMemoryRateLimiter();
  // Loaded only when configured: single-instance deployments never load the Redis client.
  const { createRedisRateLimiter } = await import('./redis-rate-limiter.js');
  return createRedisRateLimiter({ url: config.redisUrl, ...(logger ? { logger } : {}) });
}
