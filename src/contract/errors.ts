import { REASONS, type ReasonCode, UNAVAILABLE_RETRY_AFTER_SECONDS } from './reasons.js';

export interface ErrorBody {
  error: string;
  reason_code: ReasonCode;
  message: string;
  field: string | null;
}

export interface PublicErrorOptions {
  field?: string | null;
  message?: string;
  /** Seconds for `Retry-After` (429 and 503). */
  retryAfterSeconds?: number;
}

/** The one error type every stage returns or throws; its body comes from the reason-code registry. */
export class PublicError extends Error {
  readonly code: ReasonCode;
  readonly status: number;
  readonly field: string | null;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ReasonCode, options: PublicErrorOptions = {}) {
    const spec = REASONS[code];
    // A refusal is an answer, not a fault: nobody reads its stack, and capturing one was the largest single cost
    // of an invalid-key or throttled request (bench/README.md). Error.stackTraceLimit is read at construction.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(options.message ?? spec.message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'PublicError';
    this.code = code;
    this.status = spec.status;
    this.field = options.field ?? null;
    this.retryAfterSeconds =
      options.retryAfterSeconds ?? (spec.status === 503 ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined);
  }

  toBody(): ErrorBody {
    return { error: REASONS[this.code].error, reason_code: this.code, message: this.message, field: this.field };
  }
}

export function isPublicError(value: unknown): value is PublicError {
  return value instanceof PublicError;
}

const EXAMPLE_FIELDS: Record<string, string> = { query_key: 'foo', 'start_at|end_at': 'start_at' };

/** A representative body for a code (its default message; a sample `field` for the query codes). */
export function exampleErrorBody(code: ReasonCode): ErrorBody {
  const spec = REASONS[code];
  const field = spec.field === null ? null : (EXAMPLE_FIELDS[spec.field] ?? spec.field);
  return { error: spec.error, reason_code: code, message: spec.message, field };
}
