/**
 * Assertions shared by the route tests: the error body of CONTRACT.md section 2 (exactly), and the headers every
 * response must carry (sections 2 and 7).
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { CONTRACT_REASONS, type Code, carriesRateLimitHeaders } from './contract.js';

export interface ExpectedError {
  reason_code: Code;
  /** Defaults to the registry's status for the code. */
  status?: number;
  /** Defaults to the registry's category for the code. */
  error?: string;
  /** Defaults to null. */
  field?: string | null;
  /** Whether RateLimit-Policy / RateLimit must be present; defaults to what the code implies (contract.ts). */
  rateLimitHeaders?: boolean;
  /** A HEAD request: same status and headers, no body. */
  head?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Headers every response carries, success or error (sections 2 and 7). */
export function expectCommonHeaders(response: LightMyRequestResponse): void {
  const headers = response.headers;
  expect(headers['x-request-id'], 'x-request-id').toMatch(REQUEST_ID);
  expect(headers['cache-control'], 'cache-control').toBe('no-store');
  expect(headers['x-content-type-options'], 'x-content-type-options').toBe('nosniff');
  expect(headers['referrer-policy'], 'referrer-policy').toBe('no-referrer');
  const cors = Object.keys(headers).filter((name) => name.toLowerCase().startsWith('access-control-'));
  expect(cors, 'no CORS headers').toEqual([]);
}

/** RateLimit-Policy and RateLimit (IETF draft structured lists), present or absent together. */
export function expectRateLimitHeaders(response: LightMyRequestResponse, present: boolean): void {
  if (!present) {
    expect(response.headers['ratelimit-policy'], 'ratelimit-policy').toBeUndefined();
    expect(response.headers.ratelimit, 'ratelimit').toBeUndefined();
    return;
  }
  expect(response.headers['ratelimit-policy'], 'ratelimit-policy').toMatch(/^"(key|organization)";q=\d+;w=\d+/);
  expect(response.headers.ratelimit, 'ratelimit').toMatch(/^"(key|organization)";r=\d+;t=\d+/);
}

/** Text that must never reach an error body: stack frames, file paths, SQL, key material. */
const LEAKS =
  /\bat .+:\d+:\d+|\/(?:work|tmp|home|usr|var|root)\/|node_modules|\b(?:select|insert|update|delete)\b .+\b(?:from|into|set)\b|sqlite|postgres|ch_sk_|key_[A-Za-z0-9_-]{8,}/i;

export function expectError(response: LightMyRequestResponse, expected: ExpectedError): void {
  const spec = CONTRACT_REASONS[expected.reason_code];
  const status = expected.status ?? spec.status;
  const error = expected.error ?? spec.error;
  const field = expected.field ?? null;
  const context = `${expected.reason_code}: ${response.statusCode} ${response.body.slice(0, 300)}`;

  expect(response.statusCode, context).toBe(status);
  expect(response.headers['content-type'], context).toBe('application/json; charset=utf-8');
  expectCommonHeaders(response);

  if (expected.head) {
    expect(response.body, 'HEAD has no body').toBe('');
  } else {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(body, context).toStrictEqual({
      error,
      reason_code: expected.reason_code,
      message: expect.any(String),
      field,
    });
    const message = body.message as string;
    expect(message.trim().length, 'message is non-empty').toBeGreaterThan(0);
    expect(message, 'message reveals nothing internal').not.toMatch(LEAKS);
    if (typeof field === 'string') {
      expect(field.length).toBeLessThanOrEqual(64);
      expect(field).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
  }

  const challenge = response.headers['www-authenticate'];
  if (status === 401) {
    expect(challenge, 'www-authenticate').toBe(
      expected.reason_code === 'missing_bearer'
        ? 'Bearer realm="charthero"'
        : 'Bearer realm="charthero", error="invalid_token"',
    );
  } else {
    expect(challenge, 'www-authenticate only on 401').toBeUndefined();
  }

  if (status === 429 || status === 503) {
    expect(response.headers['retry-after'], 'retry-after').toMatch(/^[1-9][0-9]*$/);
  } else {
    expect(response.headers['retry-after'], 'retry-after only on 429/503').toBeUndefined();
  }

  if (status === 405) expect(response.headers.allow, 'allow').toBe('GET, HEAD');
  else expect(response.headers.allow, 'allow only on 405').toBeUndefined();

  const rateLimit = expected.rateLimitHeaders ?? carriesRateLimitHeaders(expected.reason_code);
  if (rateLimit !== undefined) expectRateLimitHeaders(response, rateLimit);
}

/** A successful JSON response of a public route: 200, the contract's headers, and exactly `body`. */
export function expectOk(response: LightMyRequestResponse, body: unknown, options: { head?: boolean } = {}): void {
  expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  expectCommonHeaders(response);
  expectRateLimitHeaders(response, true);
  expect(response.headers['www-authenticate']).toBeUndefined();
  expect(response.headers['retry-after']).toBeUndefined();
  if (options.head) {
    expect(response.body).toBe('');
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(body)));
  } else {
    expect(JSON.parse(response.body)).toStrictEqual(body);
  }
}
