/** The failed-authentication window of step 5a (docs/limits.md): more than `limit` failures in the last 10 s. */
import { describe, expect, it } from 'vitest';
import { createAuthFailureThrottle } from '../../../src/limits/auth-failure-throttle.js';

const s = (seconds: number) => seconds * 1000;

describe('createAuthFailureThrottle', () => {
  it('throttles only past the limit, and slides: each failure leaves the window 10 s after it happened', () => {
    const throttle = createAuthFailureThrottle(2);
    throttle.recordFailure('a', s(0));
    throttle.recordFailure('a', s(1));
    expect(throttle.retryAfterSeconds('a', s(1.5)), 'two failures are within a limit of 2').toBeNull();
    throttle.recordFailure('a', s(2));
    expect(throttle.retryAfterSeconds('a', s(2.5))).toBe(8); // the failure at 0 leaves at 10
    expect(throttle.retryAfterSeconds('a', s(9.999))).toBe(1);
    expect(throttle.retryAfterSeconds('a', s(10))).toBeNull();
    throttle.recordFailure('a', s(10));
    expect(throttle.retryAfterSeconds('a', s(10)), 'failures at 1, 2 and 10: room at 11').toBe(1);
    expect(throttle.retryAfterSeconds('a', s(11))).toBeNull();
    expect(throttle.retryAfterSeconds('b', s(2.5)), 'other addresses are unaffected').toBeNull();
  });

  it('keeps no failure past the window: old ones neither count nor take memory', () => {
    const throttle = createAuthFailureThrottle(2);
    throttle.recordFailure('a', s(0));
    throttle.recordFailure('a', s(1));
    throttle.recordFailure('a', s(20));
    throttle.recordFailure('a', s(21));
    expect(throttle.retryAfterSeconds('a', s(21.5)), 'two failures in the last 10 s').toBeNull();
    throttle.recordFailure('a', s(22));
    expect(throttle.retryAfterSeconds('a', s(22)), 'three: the oldest (at 20) leaves at 30').toBe(8);
  });

  it('with limit 0 never throttles', () => {
    const throttle = createAuthFailureThrottle(0);
    for (let i = 0; i < 1000; i++) throttle.recordFailure('a', i);
    expect(throttle.retryAfterSeconds('a', 1000)).toBeNull();
  });
});
