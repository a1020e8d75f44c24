import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY_OPTIONS,
  decideRetry,
  parseRetryAfter,
  type RetryOptions,
  resolveRetryOptions,
  sleep,
} from '../../src/retry.js';

const options = (patch: Partial<RetryOptions> = {}): RetryOptions =>
  resolveRetryOptions({ random: () => 0.5, ...patch });
const status = (code: number, retryAfterMs: number | null = null) => ({
  kind: 'status' as const,
  status: code,
  retryAfterMs,
});

describe('which outcomes are retried', () => {
  it.each([429, 503])('retries %i', (code) => {
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(code) }, options())).toMatchObject({ retry: true });
  });

  it.each([400, 401, 403, 404, 405, 422, 500, 502])('never retries %i by default', (code) => {
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(code) }, options())).toEqual({
      retry: false,
      reason: 'not_retryable',
    });
  });

  it.each([400, 401, 403, 404, 422])('never retries %i even when configured to', (code) => {
    const opts = options({ retryStatuses: [code, 503] });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(code) }, opts)).toMatchObject({ retry: false });
  });

  it('retries other statuses only when configured', () => {
    const opts = options({ retryStatuses: [502, 503, 504] });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(502) }, opts)).toMatchObject({ retry: true });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(429) }, opts)).toMatchObject({ retry: false });
  });

  it('retries network errors and timeouts (every route is an idempotent GET) unless turned off', () => {
    for (const kind of ['network', 'timeout'] as const) {
      expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: { kind } }, options())).toMatchObject({ retry: true });
      expect(
        decideRetry({ attempt: 1, elapsedMs: 0, outcome: { kind } }, options({ retryNetworkErrors: false })),
      ).toEqual({ retry: false, reason: 'not_retryable' });
    }
  });
});

describe('backoff', () => {
  it('is full jitter: uniform below base · 2^(attempt-1), capped at maxDelayMs', () => {
    const base = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, { ...base, random: () => 0 })).toBe(0);
    expect(backoffDelay(1, { ...base, random: () => 0.999 })).toBe(99);
    expect(backoffDelay(3, { ...base, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(4, { ...base, random: () => 0.999 })).toBe(799);
    expect(backoffDelay(5, { ...base, random: () => 0.999 })).toBe(999);
    expect(backoffDelay(30, { ...base, random: () => 0.999 })).toBe(999);
  });

  it('spreads: many draws cover the interval', () => {
    const draws = Array.from({ length: 2000 }, () =>
      backoffDelay(3, { baseDelayMs: 100, maxDelayMs: 10_000, random: Math.random }),
    );
    expect(Math.min(...draws)).toBeLessThan(40);
    expect(Math.max(...draws)).toBeGreaterThan(360);
    expect(Math.max(...draws)).toBeLessThan(400);
  });

  it('honours Retry-After as a floor', () => {
    const opts = options({ baseDelayMs: 100, random: () => 0.5 });
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(503, 1000) }, opts)).toEqual({
      retry: true,
      delayMs: 1000,
    });
    // A backoff longer than Retry-After wins.
    const later = options({ baseDelayMs: 100, maxAttempts: 10, random: () => 0.5 });
    expect(decideRetry({ attempt: 5, elapsedMs: 0, outcome: status(429, 1000) }, later)).toEqual({
      retry: true,
      delayMs: 1000,
    });
    expect(decideRetry({ attempt: 6, elapsedMs: 0, outcome: status(429, 1000) }, later)).toEqual({
      retry: true,
      delayMs: 1600,
    });
    const many = options({ baseDelayMs: 1000, maxAttempts: 10, random: () => 0.9 });
    expect(decideRetry({ attempt: 3, elapsedMs: 0, outcome: status(429, 1000) }, many)).toEqual({
      retry: true,
      delayMs: 3600,
    });
  });
});

describe('bounds', () => {
  it('stops after maxAttempts (attempts in total)', () => {
    const opts = options({ maxAttempts: 3 });
    expect(decideRetry({ attempt: 2, elapsedMs: 0, outcome: status(503) }, opts)).toMatchObject({ retry: true });
    expect(decideRetry({ attempt: 3, elapsedMs: 0, outcome: status(503) }, opts)).toEqual({
      retry: false,
      reason: 'max_attempts',
    });
  });

  it('does not start a wait that would end past maxElapsedMs', () => {
    const opts = options({ maxElapsedMs: 5000 });
    expect(decideRetry({ attempt: 1, elapsedMs: 3500, outcome: status(503, 1000) }, opts)).toMatchObject({
      retry: true,
    });
    expect(decideRetry({ attempt: 1, elapsedMs: 4500, outcome: status(503, 1000) }, opts)).toEqual({
      retry: false,
      reason: 'max_elapsed',
    });
    // A Retry-After beyond the whole budget ends the call at once instead of sleeping in vain.
    expect(decideRetry({ attempt: 1, elapsedMs: 0, outcome: status(429, 60_000) }, opts)).toEqual({
      retry: false,
      reason: 'max_elapsed',
    });
  });

  it('`false` means one attempt; bad values are refused', () => {
    expect(resolveRetryOptions(false).maxAttempts).toBe(1);
    expect(resolveRetryOptions({ maxAttempts: 7 }, { baseDelayMs: 5 })).toMatchObject({
      maxAttempts: 7,
      baseDelayMs: 5,
      maxDelayMs: DEFAULT_RETRY_OPTIONS.maxDelayMs,
    });
    expect(resolveRetryOptions({ maxAttempts: 7 }, { maxAttempts: undefined }).maxAttempts).toBe(7);
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => resolveRetryOptions({ maxElapsedMs: -1 })).toThrow(RangeError);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY_OPTIONS).toMatchObject({
      maxAttempts: 5,
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      maxElapsedMs: 30_000,
      retryStatuses: [429, 503],
      retryNetworkErrors: true,
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter(' 30 ')).toBe(30_000);
    expect(parseRetryAfter('0')).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-05-25T14:00:00Z');
    expect(parseRetryAfter('Mon, 25 May 2026 14:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 25 May 2026 13:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [null, undefined, '', '-1', '1.5', 'soon', '1e3']) expect(parseRetryAfter(value)).toBeNull();
  });
});

describe('sleep', () => {
  it('waits', async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the signal reason as soon as it aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects at once for an aborted signal', async () => {
    await expect(sleep(10_000, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });
});
