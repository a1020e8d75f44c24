/**
 * The retry policy, as pure functions: which outcomes are retried, how long to wait (exponential backoff with full
 * jitter, `Retry-After` as a floor), and when to give up (attempts and total time). Randomness, sleeping and the
 * clock are injectable so the policy can be tested without waiting.
 */
import { DEFAULT_RETRY_STATUSES } from './errors.js';

export interface RetryOptions {
  /** Attempts in total, the first included. `1` disables retries. Default 5. */
  maxAttempts: number;
  /** The first backoff's upper bound; attempt n waits up to `baseDelayMs * 2^(n-1)`. Default 250 ms. */
  baseDelayMs: number;
  /** Upper bound of any one backoff (before `Retry-After` is applied). Default 10 s. */
  maxDelayMs: number;
  /**
   * Time budget for one call across all its attempts. A retry whose wait would end past the budget is not made;
   * the last error is thrown at once instead. Default 30 s.
   */
  maxElapsedMs: number;
  /** HTTP statuses to retry. Default `[429, 503]`. 400, 401, 403, 404 and 422 are never retried, even if listed. */
  retryStatuses: readonly number[];
  /** Retry when no HTTP answer arrived (connection error, per-attempt timeout). Default `true`: every route is a GET. */
  retryNetworkErrors: boolean;
  /** Random number in [0, 1). Default `Math.random`. */
  random: () => number;
  /** Waits `ms`, rejecting with `signal.reason` if the signal aborts. Default: a timer. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds clock for the time budget. Default `Date.now`. */
  now: () => number;
}

/** Statuses the contract says must never be retried: fix the request, the key or the access instead. */
export const NEVER_RETRIED_STATUSES: readonly number[] = [400, 401, 403, 404, 405, 422];

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxElapsedMs: 30_000,
  retryStatuses: DEFAULT_RETRY_STATUSES,
  retryNetworkErrors: true,
  random: Math.random,
  sleep,
  now: Date.now,
});

/** `false` turns retries off (one attempt). */
export function resolveRetryOptions(...layers: (Partial<RetryOptions> | false | undefined)[]): RetryOptions {
  let options: RetryOptions = { ...DEFAULT_RETRY_OPTIONS };
  for (const layer of layers) {
    if (layer === false) options = { ...options, maxAttempts: 1 };
    else if (layer) options = { ...options, ...withoutUndefined(layer) };
  }
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError('retry.maxAttempts must be an integer of at least 1');
  }
  for (const key of ['baseDelayMs', 'maxDelayMs', 'maxElapsedMs'] as const) {
    if (!(options[key] >= 0)) throw new RangeError(`retry.${key} must be a non-negative number`);
  }
  return options;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What one attempt ended with. */
export type AttemptOutcome =
  | { kind: 'status'; status: number; retryAfterMs: number | null }
  | { kind: 'network' }
  | { kind: 'timeout' };

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not_retryable' | 'max_attempts' | 'max_elapsed' };

/** Whether an outcome is retryable at all under these options (ignoring attempts and time). */
export function isRetryableOutcome(
  outcome: AttemptOutcome,
  options: Pick<RetryOptions, 'retryStatuses' | 'retryNetworkErrors'>,
) {
  if (outcome.kind !== 'status') return options.retryNetworkErrors;
  if (NEVER_RETRIED_STATUSES.includes(outcome.status)) return false;
  return options.retryStatuses.includes(outcome.status);
}

/** Full jitter: a uniform wait in [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))). `attempt` is 1-based. */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(options.random() * ceiling);
}

/**
 * Decides whether to retry after attempt `attempt` (1-based) ended with `outcome`, `elapsedMs` after the call began.
 * The wait is the full-jitter backoff, raised to `Retry-After` when the server sent one.
 */
export function decideRetry(
  input: { attempt: number; elapsedMs: number; outcome: AttemptOutcome },
  options: RetryOptions,
): RetryDecision {
  if (!isRetryableOutcome(input.outcome, options)) return { retry: false, reason: 'not_retryable' };
  if (input.attempt >= options.maxAttempts) return { retry: false, reason: 'max_attempts' };
  const retryAfterMs = input.outcome.kind === 'status' ? (input.outcome.retryAfterMs ?? 0) : 0;
  const delayMs = Math.max(retryAfterMs, backoffDelay(input.attempt, options));
  if (input.elapsedMs + delayMs > options.maxElapsedMs) return { retry: false, reason: 'max_elapsed' };
  return { retry: true, delayMs };
}

/**
 * `Retry-After` → milliseconds: delta-seconds (`"2"`) or an HTTP date. `null` when absent or unreadable;
 * a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** Waits `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
