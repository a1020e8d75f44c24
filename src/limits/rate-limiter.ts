/**
 * Token-bucket rate limits per key and per organization (docs/limits.md). The in-memory limiter serves one
 * instance; the Redis limiter (redis-rate-limiter.ts) implements the same interface, with the same arithmetic, when
 * several instances share the limits.
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

export interface Bucket {
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
    resetSeconds: Math.max(0, Math.ceil((spec.burst - tokens) / spec.ratePerSecond)),
  };
}

/** The request is allowed only when every bucket holds a whole token. */
function allAllowed(refilledTokens: readonly number[]): boolean {
  return refilledTokens.every((tokens) => tokens >= 1);
}

/**
 * The decision from the buckets' token counts after the request was (or was not) charged. Shared by every limiter
 * so the headers and Retry-After never depend on where the buckets live.
 */
export function decision(specs: readonly BucketSpec[], allowed: boolean, tokensAfter: readonly number[]): RateDecision {
  const retryAfterSeconds = allowed
    ? 0
    : Math.max(1, ...specs.map((spec, index) => Math.ceil((1 - tokensAfter[index]!) / spec.ratePerSecond)));
  return { allowed, retryAfterSeconds, buckets: specs.map((spec, index) => bucketState(spec, tokensAfter[index]!)) };
}

export function bucketName(spec: Pick<BucketSpec, 'policy' | 'id'>): string {
  return `${spec.policy}:${spec.id}`;
}

export function createMemoryRateLimiter(maxBuckets = 100_000): RateLimiter {
  const buckets = new Map<string, Bucket>();
  return {
    async consume(specs, nowMs) {
      const refilled = specs.map((spec) => refill(buckets.get(bucketName(spec)), spec, nowMs));
      const allowed = allAllowed(refilled.map((bucket) => bucket.tokens));
      specs.forEach((spec, index) => {
        const bucket = refilled[index]!;
        if (allowed) bucket.tokens -= 1;
        const name = bucketName(spec);
        buckets.delete(name); // re-insert to keep Map order as recency for the eviction below
        buckets.set(name, bucket);
      });
      while (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value!);
      return decision(
        specs,
        allowed,
        refilled.map((bucket) => bucket.tokens),
      );
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
