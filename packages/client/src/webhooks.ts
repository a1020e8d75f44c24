/**
 * Verifying ChartHero webhooks (docs/webhooks.md). Give `verifyWebhook` the raw request body —
 * the bytes as received, before any JSON parsing — because the signature covers those exact bytes.
 *
 *   const event = verifyWebhook(rawBody, request.headers, process.env.CHARTHERO_WEBHOOK_SECRET!);
 *   // event.resources.document_id: fetch the transcript; deduplicate by event.id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  TRANSCRIPT_READY_EVENT,
  WEBHOOK_API_VERSION,
  WEBHOOK_HEADERS,
  WEBHOOK_SIGNATURE_VERSION,
  WEBHOOK_VERIFY_REASONS,
} from './generated/contract.js';
import type { components } from './generated/openapi.js';

// The constants of the server's webhook contract, generated from the OpenAPI document (`npm run generate`).
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  TRANSCRIPT_READY_EVENT,
  WEBHOOK_API_VERSION,
  WEBHOOK_HEADERS,
  WEBHOOK_VERIFY_REASONS,
};

export type TranscriptReadyEvent = components['schemas']['TranscriptReadyEvent'];
/** Every event type ChartHero sends (one so far). */
export type WebhookEvent = TranscriptReadyEvent;

export type WebhookVerifyReason = (typeof WEBHOOK_VERIFY_REASONS)[number];

/** The one error `verifyWebhook` throws; branch on `reason`. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerifyReason,
    message: string,
  ) {
    super(message);
  }
}

/** Node's `IncomingHttpHeaders`, a fetch `Headers`, or any plain object of header names (any case) to values. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far the signed timestamp may be from this machine's clock, either way (default 300 s). */
  toleranceSeconds?: number;
  /** Unix seconds "now" (tests). */
  nowSeconds?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(',');
  }
  return undefined;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function isTranscriptReadyEvent(value: unknown): value is TranscriptReadyEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const event = value as Record<string, unknown>;
  const resources = event.resources as Record<string, unknown> | null | undefined;
  return (
    typeof event.id === 'string' &&
    event.type === TRANSCRIPT_READY_EVENT &&
    typeof event.api_version === 'string' &&
    typeof event.occurred_at === 'string' &&
    typeof event.organization_id === 'string' &&
    resources !== null &&
    typeof resources === 'object' &&
    typeof resources.encounter_id === 'string' &&
    typeof resources.document_id === 'string'
  );
}

/**
 * Checks a webhook request and returns its event, or throws WebhookVerificationError. `secrets` is the endpoint
 * secret (`whsec_…`), or several while you rotate: any one matching any `v1=` entry of the signature is enough.
 * Signatures are compared in constant time over the exact raw bytes; the body is parsed only once it is proven.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const values: Record<'eventId' | 'timestamp' | 'signature' | 'version', string> = {
    eventId: '',
    timestamp: '',
    signature: '',
    version: '',
  };
  for (const key of ['eventId', 'timestamp', 'signature', 'version'] as const) {
    const value = header(headers, WEBHOOK_HEADERS[key]);
    if (value === undefined || value === '') {
      throw new WebhookVerificationError('missing_header', `the ${WEBHOOK_HEADERS[key]} header is missing`);
    }
    values[key] = value;
  }

  if (!/^[0-9]{1,15}$/.test(values.timestamp)) {
    throw new WebhookVerificationError(
      'malformed_timestamp',
      `${WEBHOOK_HEADERS.timestamp} is not decimal Unix seconds`,
    );
  }
  const timestamp = Number(values.timestamp);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `${WEBHOOK_HEADERS.timestamp} is more than ${tolerance} seconds from this clock`,
    );
  }

  const entries = values.signature.split(',').map((entry) => entry.trim());
  const prefix = `${WEBHOOK_SIGNATURE_VERSION}=`;
  const candidates = entries
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => entry.slice(prefix.length))
    .filter((hex) => HEX_SHA256.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (!entries.some((entry) => entry.startsWith(prefix))) {
    throw new WebhookVerificationError(
      'unsupported_signature_version',
      `${WEBHOOK_HEADERS.signature} has no ${prefix} entry`,
    );
  }

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const signed = Buffer.concat([Buffer.from(`${values.timestamp}.`, 'utf8'), body]);
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  let matched = false;
  for (const secret of keys) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(signed).digest();
    // Every pair is compared, so the time taken says nothing about which entry or secret came close.
    for (const candidate of candidates) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) throw new WebhookVerificationError('signature_mismatch', 'no signature matches these secrets');

  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new WebhookVerificationError('malformed_body', 'the body is not UTF-8 JSON');
  }
  if (!isTranscriptReadyEvent(event)) {
    throw new WebhookVerificationError('malformed_body', 'the body is not a ChartHero webhook event');
  }
  if (event.id !== values.eventId) {
    throw new WebhookVerificationError('event_id_mismatch', `${WEBHOOK_HEADERS.eventId} differs from the body's id`);
  }
  if (event.api_version !== values.version || event.api_version !== WEBHOOK_API_VERSION) {
    throw new WebhookVerificationError(
      'version_mismatch',
      `the event's api_version is not ${WEBHOOK_API_VERSION} in both the body and ${WEBHOOK_HEADERS.version}`,
    );
  }
  return event;
}
