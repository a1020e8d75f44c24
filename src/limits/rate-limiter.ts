/**
 * Token-bucket rate limits per key and per organization (CONTRACT.md section 7). The in-memory limiter serves one
 * instance; a shared store (Redis) implements the same interface when several instances share the limits.
 */

export interface BucketSpec {
  /** `key` or `organization`: names the policy in the RateLimit headers. */
  policy: 'key' | 'organization';
  id: string;
  ratePerSecond: number;
  burst: number;
}

export interface BucketState {
  spec: BucketSpec;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until a request would be allowed (only when refused). */
  retryAfterSeconds: number;
  buckets: BucketState[];
}

export interface RateLimiter {
  /** Takes one token from every bucket, or none when any of them is empty. */
  consume(buckets: readonly BucketSpec[], nowMs: number): Promise<RateDecision>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Refills a bucket to `nowMs`; pure, so the Redis script and the tests follow the same arithmetic. */
export function refill(bucket: Bucket | undefined, spec: BucketSpec, nowMs: number): Bucket {
  if (!bucket) return { tokens: spec.burst, updatedMs: nowMs };
  const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
  return { tokens: Math.min(spec.burst, bucket.tokens + elapsed * spec.ratePerSecond), updatedMs: nowMs };
}

export function bucketState(spec: BucketSpec, tokens: number): BucketState {
  return {
    spec,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((spec.burst - tokens) / spec.ratePerSecond),
  };
}

export function createMemoryRateLimiter(maxBuckets = 100_000): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    async consume(specs, nowMs) {
      const refilled = specs.map((spec) => refill(buckets.get(`${spec.policy}:${spec.id}`), spec, nowMs));
      const allowed = refilled.every((bucket) => bucket.tokens >= 1);
      specs.forEach((spec, index) => {
        const bucket = refilled[index]!;
        if (allowed) bucket.tokens -= 1;
        const name = `${spec.policy}:${spec.id}`;
        buckets.delete(name); // re-insert to keep Map order as recency for the eviction below
        buckets.set(name, bucket);
      });
      while (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!);
      const retryAfterSeconds = allowed
        ? 0
        : Math.max(1, ...specs.map((spec, index) => Math.ceil((1 - refilled[index]!.tokens) / spec.ratePerSecond)));
      return {
        allowed,
        retryAfterSeconds,
        buckets: specs.map((spec, index) => bucketState(spec, refilled[index]!.tokens)),
      };
    },
    async close() {},
  };
}

/** IETF draft RateLimit-Policy / RateLimit header values (structured-field lists, one item per bucket). */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  if (decision.buckets.length === 0) return {};
  return {
    'ratelimit-policy': decision.buckets
      .map(
        ({ spec }) => `"${spec.policy}";q=${spec.burst};w=${Math.max(1, Math.ceil(spec.burst / spec.ratePerSecond))}`,
      )
      .join(', '),
    ratelimit: decision.buckets
      .map((bucket) => `"${bucket.spec.policy}";r=${bucket.remaining};t=${bucket.resetSeconds}`)
      .join(', '),
  };
}
