/**
 * Errors the client throws. `ChartHeroError` is every non-2xx answer of the API; branch on `reasonCode`, never on
 * `message`, which the server may reword at any time. A code added by a newer server arrives as itself (typed as
 * any string besides the known union), and the helpers and retry policy treat it by its HTTP status.
 */
import { REASON_TABLE } from './generated/contract.js';
import type { ApiErrorBody, ErrorCategory, KnownReasonCode, OperationId, ReasonCode } from './types.js';

interface ReasonInfo {
  readonly status: number;
  readonly error: ErrorCategory;
}

/**
 * Every reason code this SDK version knows, with its status and category (docs/errors.md), generated from
 * the OpenAPI artifact's `x-reason-codes` by `npm run openapi:write`.
 */
export const REASON_CODES: { readonly [Code in KnownReasonCode]: ReasonInfo } = REASON_TABLE;

/** Whether `value` is a reason code this SDK version knows (a newer server may send others). */
export function isReasonCode(value: unknown): value is KnownReasonCode {
  return typeof value === 'string' && Object.hasOwn(REASON_CODES, value);
}

/** The statuses retried by default: 429 (rate limited) and 503 (a dependency is temporarily unavailable). */
export const DEFAULT_RETRY_STATUSES: readonly number[] = [429, 503];

/**
 * What a caller should do about an error, after the contract's client guidance:
 * - `fix_request` (400, 405, 422 and any other 4xx): change the request; `field` and `reasonCode` name the problem.
 * - `fix_credentials` (401): do not retry with the same key until the key, environment or header is corrected.
 * - `check_access` (403): check scopes, route enablement for the organization, and whether the resource is yours.
 * - `treat_as_missing` (404): the resource does not exist or is not available through the public API.
 * - `retry` (429, 503, network errors): retry with backoff (the client already did, within its limits).
 * - `report` (500 and anything unexpected): a server bug; report it with `requestId`.
 */
export type ErrorAction = 'fix_request' | 'fix_credentials' | 'check_access' | 'treat_as_missing' | 'retry' | 'report';

export function actionForStatus(status: number): ErrorAction {
  if (status === 401) return 'fix_credentials';
  if (status === 403) return 'check_access';
  if (status === 404) return 'treat_as_missing';
  if (DEFAULT_RETRY_STATUSES.includes(status)) return 'retry';
  // Any other 4xx (400, 405, 422, or one a newer server adds) is about the request itself.
  if (status >= 400 && status < 500) return 'fix_request';
  return 'report';
}

export interface ChartHeroErrorInit {
  status: number;
  error: ErrorCategory | (string & {});
  reasonCode: ReasonCode;
  message: string;
  field: string | null;
  requestId: string | null;
  retryAfterMs?: number | null;
  operationId?: OperationId | null;
  attempt?: number;
  contractBody?: boolean;
  serverReasonCode?: string | null;
  responseText?: string | null;
}

/** A non-2xx answer of the API (or a 2xx whose body is not JSON). */
export class ChartHeroError extends Error {
  override readonly name = 'ChartHeroError';
  /** The HTTP status. */
  readonly status: number;
  /** The body's `error` category as sent, e.g. `api_key_unauthorized` (`public_api_error` without a contract body). */
  readonly error: ErrorCategory | (string & {});
  /**
   * The stable reason code as sent. Branch on this: a `KnownReasonCode`, or a code added by a newer server (see
   * `knownReason`), which the status-based helpers (`action`, `retryable`, `isAuthError`, …) still classify.
   */
  readonly reasonCode: ReasonCode;
  /** Whether `reasonCode` is one this SDK version knows (`isReasonCode`). */
  readonly knownReason: boolean;
  /** The query parameter at fault when exactly one is, otherwise `null`. */
  readonly field: string | null;
  /** The response's `X-Request-Id`; quote it when contacting support. */
  readonly requestId: string | null;
  /** The response's `Retry-After`, in milliseconds (429 and 503). */
  readonly retryAfterMs: number | null;
  /** The route that failed. */
  readonly operationId: OperationId | null;
  /** Which attempt (1-based) got this answer; greater than 1 after retries. */
  readonly attempt: number;
  /**
   * `true` when the body was a contract error body (`error`, `reason_code`, `message`, `field`), whatever its code.
   * `false` for anything else (a proxy's HTML page, an empty body): then `reasonCode` is `internal_error`, `error`
   * is `public_api_error` and `responseText` holds the start of the body. Retry decisions depend on `status` only,
   * so a proxy's 503 page is still retried.
   */
  readonly contractBody: boolean;
  /** The `reason_code` exactly as the server sent it (equal to `reasonCode` when `contractBody`, else null). */
  readonly serverReasonCode: string | null;
  /** The first 1 000 characters of a body that was not a contract error body. */
  readonly responseText: string | null;

  constructor(init: ChartHeroErrorInit) {
    super(init.message);
    this.status = init.status;
    this.error = init.error;
    this.reasonCode = init.reasonCode;
    this.knownReason = isReasonCode(init.reasonCode);
    this.field = init.field;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.operationId = init.operationId ?? null;
    this.attempt = init.attempt ?? 1;
    this.contractBody = init.contractBody ?? true;
    this.serverReasonCode = init.serverReasonCode !== undefined ? init.serverReasonCode : init.reasonCode;
    this.responseText = init.responseText ?? null;
  }

  /** The guidance for this status (see `ErrorAction`). */
  get action(): ErrorAction {
    return actionForStatus(this.status);
  }

  /** Whether the default policy retries this error (429 and 503). */
  get retryable(): boolean {
    return DEFAULT_RETRY_STATUSES.includes(this.status);
  }

  /** The body as the server would have sent it. */
  toJSON(): ApiErrorBody & { status: number; request_id: string | null } {
    return {
      status: this.status,
      error: this.error,
      reason_code: this.reasonCode,
      message: this.message,
      field: this.field,
      request_id: this.requestId,
    };
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS failure, or the per-attempt timeout. */
export class ChartHeroNetworkError extends Error {
  override readonly name = 'ChartHeroNetworkError';
  readonly kind: 'network' | 'timeout';
  readonly operationId: OperationId | null;
  readonly attempt: number;

  constructor(
    message: string,
    options: { kind: 'network' | 'timeout'; cause?: unknown; operationId?: OperationId | null; attempt?: number },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.operationId = options.operationId ?? null;
    this.attempt = options.attempt ?? 1;
  }

  get action(): ErrorAction {
    return 'retry';
  }

  get retryable(): boolean {
    return true;
  }
}

/**
 * `encounters.iterate()` reached the list's offset ceiling (10 000): more encounters match than offset paging can
 * reach. Narrow the date window (`start_at`/`end_at`), or use `encounters.sync()`, which never hits the ceiling.
 */
export class OffsetCeilingError extends Error {
  override readonly name = 'OffsetCeilingError';
  /** How many items the iterator had yielded before it stopped. */
  readonly yielded: number;
  /** The `created_at` of the last item yielded, a place to start the next, narrower window. */
  readonly lastCreatedAt: string | null;

  constructor(message: string, yielded: number, lastCreatedAt: string | null) {
    super(message);
    this.yielded = yielded;
    this.lastCreatedAt = lastCreatedAt;
  }
}

export function isChartHeroError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError;
}

/** Whether the default retry policy retries this error: 429, 503 and network errors (every route is an idempotent GET). */
export function isRetryable(error: unknown): boolean {
  return (error instanceof ChartHeroError || error instanceof ChartHeroNetworkError) && error.retryable;
}

/** 401: the key is missing, malformed, unknown, revoked, disabled or expired. Do not retry with the same key. */
export function isAuthError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && error.status === 401;
}

/** 403: the key or its organization may not use this route or resource. */
export function isForbiddenError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && error.status === 403;
}

/** 404: not found, or not available through the public API. */
export function isNotFoundError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && error.status === 404;
}

/** 400 or 422: fix the request; `field` names the query parameter when exactly one is at fault. */
export function isValidationError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && (error.status === 400 || error.status === 422);
}

/** 429: over the key's or organization's request rate. */
export function isRateLimitError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && error.status === 429;
}

/** 503: a dependency is temporarily unavailable. */
export function isUnavailableError(error: unknown): error is ChartHeroError {
  return error instanceof ChartHeroError && error.status === 503;
}

const RESPONSE_TEXT_LIMIT = 1000;

function isContractBody(
  value: unknown,
): value is { error: string; reason_code: string; message: string; field: unknown } {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return (
    typeof body.error === 'string' &&
    typeof body.reason_code === 'string' &&
    typeof body.message === 'string' &&
    (body.field === null || typeof body.field === 'string')
  );
}

export interface ErrorResponseInfo {
  status: number;
  text: string;
  requestId: string | null;
  retryAfterMs: number | null;
  operationId?: OperationId | null;
  attempt?: number;
}

/**
 * Builds the error for a non-2xx response from its status and body text. A contract body is carried over as is,
 * also with a reason code or category this SDK does not know yet; anything else becomes `internal_error` with
 * `contractBody: false` (see `ChartHeroError`).
 */
export function errorFromResponse(info: ErrorResponseInfo): ChartHeroError {
  const common = {
    status: info.status,
    requestId: info.requestId,
    retryAfterMs: info.retryAfterMs,
    operationId: info.operationId ?? null,
    attempt: info.attempt ?? 1,
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(info.text);
  } catch {
    parsed = undefined;
  }
  if (isContractBody(parsed)) {
    return new ChartHeroError({
      ...common,
      error: parsed.error,
      reasonCode: parsed.reason_code,
      message: parsed.message,
      field: typeof parsed.field === 'string' ? parsed.field : null,
    });
  }
  return new ChartHeroError({
    ...common,
    error: 'public_api_error',
    reasonCode: 'internal_error',
    message: `Unexpected response from the ChartHero API (HTTP ${info.status}) without a contract error body.`,
    field: null,
    contractBody: false,
    serverReasonCode: null,
    responseText: info.text.slice(0, RESPONSE_TEXT_LIMIT),
  });
}
