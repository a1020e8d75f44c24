/** Step 9 of the order of checks: the key's bucket and, when it has a limit, its organization's bucket. */
import type { KeyState, OrganizationState } from '../access/key-state.js';
import type { Config } from '../config.js';
import { PublicError } from '../contract/errors.js';
import type { BucketSpec, RateDecision } from './rate-limiter.js';

export function bucketsFor(
  key: KeyState,
  organization: OrganizationState | null,
  config: Pick<Config, 'defaultKeyRateLimitPerSecond' | 'defaultKeyRateBurst'>,
): BucketSpec[] {
  const buckets: BucketSpec[] = [];
  const keyRate = key.rateLimitPerSecond ?? config.defaultKeyRateLimitPerSecond;
  if (keyRate > 0) {
    // The burst is twice the rate, as in the deployment default (50/s, burst 100).
    const burst = key.rateLimitPerSecond === null ? config.defaultKeyRateBurst : keyRate * 2;
    buckets.push({ policy: 'key', id: key.id, ratePerSecond: keyRate, burst });
  }
  if (organization && organization.rateLimitPerSecond > 0) {
    const rate = organization.rateLimitPerSecond;
    buckets.push({ policy: 'organization', id: organization.id, ratePerSecond: rate, burst: rate * 2 });
  }
  return buckets;
}

/** 429 rate_limited when any bucket is empty; the decision still feeds the RateLimit headers. */
export function requireWithinRateLimit(decision: RateDecision): void {
  if (!decision.allowed) throw new PublicError('rate_limited', { retryAfterSeconds: decision.retryAfterSeconds });
}
