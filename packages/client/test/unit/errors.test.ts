import { describe, expect, expectTypeOf, it } from 'vitest';
import { REASONS, type ReasonCode as ServerReasonCode } from '../../../../src/contract/reasons.js';
import {
  actionForStatus,
  ChartHeroError,
  ChartHeroNetworkError,
  errorFromResponse,
  isAuthError,
  isChartHeroError,
  isForbiddenError,
  isNotFoundError,
  isRateLimitError,
  isReasonCode,
  isRetryable,
  isUnavailableError,
  isValidationError,
  type KnownReasonCode,
  OffsetCeilingError,
  REASON_CODES,
  type ReasonCode,
  type ReasonCodeOf,
} from '../../src/index.js';

const body = (reason: ServerReasonCode, field: string | null = null) =>
  JSON.stringify({ error: REASONS[reason].error, reason_code: reason, message: REASONS[reason].message, field });

describe('the reason-code union', () => {
  it('is exactly the server registry, in type and at run time (the table is generated from the artifact)', () => {
    expectTypeOf<KnownReasonCode>().toEqualTypeOf<ServerReasonCode>();
    expect(Object.keys(REASON_CODES).sort()).toEqual(Object.keys(REASONS).sort());
    for (const [code, spec] of Object.entries(REASONS)) {
      expect(REASON_CODES[code as KnownReasonCode], code).toEqual({ status: spec.status, error: spec.error });
    }
  });

  it('admits any string besides the known codes, so a newer server’s code is not a type error', () => {
    expectTypeOf<KnownReasonCode>().toExtend<ReasonCode>();
    expectTypeOf<'brand_new'>().toExtend<ReasonCode>();
    expectTypeOf<ReasonCode>().toEqualTypeOf<KnownReasonCode | (string & {})>();
  });

  it('is derived per route from the OpenAPI error schemas', () => {
    expectTypeOf<'invalid_limit'>().toExtend<ReasonCodeOf<'list_encounters'>>();
    expectTypeOf<'invalid_limit'>().not.toExtend<ReasonCodeOf<'get_encounter'>>();
    expectTypeOf<'audio_not_found'>().toExtend<ReasonCodeOf<'get_audio_url'>>();
    expectTypeOf<'audio_not_found'>().not.toExtend<ReasonCodeOf<'get_transcript'>>();
  });

  it('isReasonCode', () => {
    expect(isReasonCode('missing_scope')).toBe(true);
    expect(isReasonCode('toString')).toBe(false);
    expect(isReasonCode('made_up')).toBe(false);
    expect(isReasonCode(401)).toBe(false);
  });
});

describe('errorFromResponse', () => {
  it('carries a contract body over as is', () => {
    const error = errorFromResponse({
      status: 422,
      text: body('invalid_limit', 'limit'),
      requestId: 'req_1',
      retryAfterMs: null,
      operationId: 'list_encounters',
      attempt: 1,
    });
    expect(error).toBeInstanceOf(ChartHeroError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'ChartHeroError',
      status: 422,
      error: 'api_key_validation_failed',
      reasonCode: 'invalid_limit',
      field: 'limit',
      message: 'The limit query parameter is invalid.',
      requestId: 'req_1',
      operationId: 'list_encounters',
      contractBody: true,
      knownReason: true,
      serverReasonCode: 'invalid_limit',
      responseText: null,
      action: 'fix_request',
      retryable: false,
    });
    expect(error.toJSON()).toEqual({
      status: 422,
      error: 'api_key_validation_failed',
      reason_code: 'invalid_limit',
      message: 'The limit query parameter is invalid.',
      field: 'limit',
      request_id: 'req_1',
    });
  });

  it('keeps Retry-After', () => {
    const error = errorFromResponse({
      status: 503,
      text: body('digest_key_unavailable'),
      requestId: null,
      retryAfterMs: 1000,
    });
    expect(error).toMatchObject({ reasonCode: 'digest_key_unavailable', retryAfterMs: 1000, retryable: true });
  });

  it('turns a body that is not JSON into internal_error, keeping the status (a proxy 503 is still retryable)', () => {
    const error = errorFromResponse({
      status: 503,
      text: '<html><body>Service Unavailable</body></html>',
      requestId: null,
      retryAfterMs: null,
    });
    expect(error).toMatchObject({
      status: 503,
      error: 'public_api_error',
      reasonCode: 'internal_error',
      field: null,
      contractBody: false,
      knownReason: true,
      serverReasonCode: null,
      responseText: '<html><body>Service Unavailable</body></html>',
      retryable: true,
    });
    expect(error.message).toMatch(/HTTP 503/);
  });

  it('treats an empty body, a JSON non-object and a body missing fields the same way', () => {
    for (const text of ['', 'null', '[]', '"oops"', '{"error":"x"}', '{"reason_code":"missing_scope"}']) {
      const error = errorFromResponse({ status: 502, text, requestId: null, retryAfterMs: null });
      expect(error, text).toMatchObject({ reasonCode: 'internal_error', contractBody: false, status: 502 });
    }
  });

  it('keeps a reason code and category from a newer server as sent, and classifies them by status', () => {
    const newer = (status: number, error: string, reason_code: string, field: string | null = null) =>
      errorFromResponse({
        status,
        text: JSON.stringify({ error, reason_code, message: 'New.', field }),
        requestId: 'req_9',
        retryAfterMs: status === 503 ? 2000 : null,
      });
    const forbidden = newer(403, 'api_key_forbidden', 'brand_new');
    expect(forbidden).toMatchObject({
      status: 403,
      error: 'api_key_forbidden',
      reasonCode: 'brand_new',
      serverReasonCode: 'brand_new',
      message: 'New.',
      field: null,
      contractBody: true,
      knownReason: false,
      responseText: null,
      action: 'check_access',
      retryable: false,
    });
    expect(isForbiddenError(forbidden)).toBe(true);
    expect(forbidden.toJSON()).toEqual({
      status: 403,
      error: 'api_key_forbidden',
      reason_code: 'brand_new',
      message: 'New.',
      field: null,
      request_id: 'req_9',
    });
    // A new 503 code is retried like every 503, and keeps its Retry-After.
    const unavailable = newer(503, 'public_api_unavailable', 'queue_unavailable');
    expect(unavailable).toMatchObject({ reasonCode: 'queue_unavailable', action: 'retry', retryable: true });
    expect(unavailable.retryAfterMs).toBe(2000);
    expect(isRetryable(unavailable)).toBe(true);
    expect(isUnavailableError(unavailable)).toBe(true);
    // A new category and a new 4xx status: kept as sent, and the request is what needs fixing.
    const conflict = newer(409, 'public_api_conflict', 'cursor_conflict', 'cursor');
    expect(conflict).toMatchObject({
      error: 'public_api_conflict',
      reasonCode: 'cursor_conflict',
      field: 'cursor',
      knownReason: false,
      action: 'fix_request',
      retryable: false,
    });
    expect(newer(401, 'api_key_unauthorized', 'key_suspended')).toMatchObject({ action: 'fix_credentials' });
    expect(newer(502, 'public_api_error', 'upstream_failed')).toMatchObject({ action: 'report', retryable: false });
  });

  it('truncates a long unexpected body', () => {
    const error = errorFromResponse({ status: 500, text: 'x'.repeat(5000), requestId: null, retryAfterMs: null });
    expect(error.responseText).toHaveLength(1000);
  });
});

describe('helpers', () => {
  const make = (reason: ServerReasonCode) =>
    errorFromResponse({ status: REASONS[reason].status, text: body(reason), requestId: null, retryAfterMs: null });

  it('classify by status', () => {
    expect(isAuthError(make('revoked_key'))).toBe(true);
    expect(isForbiddenError(make('missing_scope'))).toBe(true);
    expect(isNotFoundError(make('encounter_not_found'))).toBe(true);
    expect(isValidationError(make('unsupported_filter'))).toBe(true);
    expect(isValidationError(make('invalid_query'))).toBe(true);
    expect(isValidationError(make('unsupported_document_type'))).toBe(true);
    expect(isRateLimitError(make('rate_limited'))).toBe(true);
    expect(isUnavailableError(make('audio_storage_unavailable'))).toBe(true);
    expect(isChartHeroError(make('internal_error'))).toBe(true);
    expect(isAuthError(make('missing_scope'))).toBe(false);
    expect(isAuthError(new Error('x'))).toBe(false);
    expect(isChartHeroError({ status: 401 })).toBe(false);
  });

  it('isRetryable: 429, 503 and network errors only', () => {
    for (const reason of Object.keys(REASONS) as ServerReasonCode[]) {
      expect(isRetryable(make(reason)), reason).toBe([429, 503].includes(REASONS[reason].status));
    }
    expect(isRetryable(new ChartHeroNetworkError('down', { kind: 'network' }))).toBe(true);
    expect(isRetryable(new TypeError('x'))).toBe(false);
    expect(isRetryable(new OffsetCeilingError('x', 0, null))).toBe(false);
  });

  it('action follows the client guidance table', () => {
    expect([400, 401, 403, 404, 405, 422, 429, 500, 503, 409, 418, 502, 504].map(actionForStatus)).toEqual([
      'fix_request',
      'fix_credentials',
      'check_access',
      'treat_as_missing',
      'fix_request',
      'fix_request',
      'retry',
      'report',
      'retry',
      // Statuses the contract does not list, by class.
      'fix_request',
      'fix_request',
      'report',
      'report',
    ]);
  });

  it('narrows reasonCode in a switch', () => {
    const describe = (error: ChartHeroError): string => {
      switch (error.reasonCode) {
        case 'revoked_key':
        case 'expired_key':
          return 'rotate the key';
        case 'missing_scope':
          return 'add a scope';
        default:
          return error.action;
      }
    };
    expect(describe(make('expired_key'))).toBe('rotate the key');
    expect(describe(make('document_not_found'))).toBe('treat_as_missing');
  });
});
