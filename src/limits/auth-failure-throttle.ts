/**
 * Step 5a of the order of checks (docs/limits.md#failed-authentication-throttle): an address whose requests got
 * more than the limit of `invalid_key`, `revoked_key`, `disabled_key` or `expired_key` answers in the last 10 s is
 * refused before the digest, so an invalid-key flood costs neither an HMAC nor a database read per request.
 *
 * Per process and in memory: the point is to bound the work an address can cause here, and a restart forgetting
 * the counts only gives back one window's budget. Memory is bounded: at most limit + 1 times per address, and at
 * most TRACKED_ADDRESSES addresses (least recently failing forgotten first), so a flood from many addresses cannot
 * grow it without limit either (at the default limit, about 20 MB at the worst).
 */
import { LRUCache } from 'lru-cache';
import { AUTH_FAILURE_WINDOW_SECONDS } from '../contract/bounds.js';
import { PublicError } from '../contract/errors.js';
import type { ReasonCode } from '../contract/reasons.js';

const WINDOW_MS = AUTH_FAILURE_WINDOW_SECONDS * 1000;
const TRACKED_ADDRESSES = 100_000;

export interface AuthFailureThrottle {
  /** Seconds until `address` has room in its window again, or null when it may be authenticated now. */
  retryAfterSeconds(address: string, nowMs: number): number | null;
  /** Counts one failed authentication of `address`. */
  recordFailure(address: string, nowMs: number): void;
}

/** The answers of step 7 that spend an address's budget. */
const FAILED_AUTHENTICATION: ReadonlySet<ReasonCode> = new Set([
  'invalid_key',
  'revoked_key',
  'disabled_key',
  'expired_key',
]);

const THROTTLED_MESSAGE = 'Too many failed authentications from this client address.';

/** Step 5a: 429 `rate_limited` with `Retry-After` while `address` is over its budget. */
export function requireAuthFailureBudget(throttle: AuthFailureThrottle, address: string, nowMs: number): void {
  const retryAfterSeconds = throttle.retryAfterSeconds(address, nowMs);
  if (retryAfterSeconds !== null) {
    // The registry's message speaks of the key's rate; this refusal is about the address, whatever key it sends.
    throw new PublicError('rate_limited', { retryAfterSeconds, message: THROTTLED_MESSAGE });
  }
}

/** Counts `error` against `address` when it is one of step 7's failed authentications. */
export function countAuthFailure(throttle: AuthFailureThrottle, address: string, error: unknown, nowMs: number): void {
  if (error instanceof PublicError && FAILED_AUTHENTICATION.has(error.code)) throttle.recordFailure(address, nowMs);
}

const UNTHROTTLED: AuthFailureThrottle = { retryAfterSeconds: () => null, recordFailure: () => {} };

/** `limit` 0 turns the throttle off. */
export function createAuthFailureThrottle(limit: number): AuthFailureThrottle {
  if (limit === 0) return UNTHROTTLED;
  // Per address, the times of its most recent failures, oldest first: limit + 1 of them decide "more than limit".
  const failures = new LRUCache<string, number[]>({ max: TRACKED_ADDRESSES });
  return {
    retryAfterSeconds(address, nowMs) {
      const times = failures.peek(address);
      if (times === undefined || times.length <= limit) return null;
      const roomAtMs = times[0]! + WINDOW_MS;
      if (roomAtMs <= nowMs) return null;
      return Math.max(1, Math.ceil((roomAtMs - nowMs) / 1000));
    },
    recordFailure(address, nowMs) {
      const times = failures.get(address);
      if (times === undefined) {
        failures.set(address, [nowMs]);
        return;
      }
      times.push(nowMs);
      // Only the newest limit + 1 failures within the window can decide anything.
      while (times.length > limit + 1 || times[0]! <= nowMs - WINDOW_MS) times.shift();
    },
  };
}
