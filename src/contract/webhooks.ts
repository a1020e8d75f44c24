/**
 * The webhook contract (docs/webhooks.md): the one definition of the event body, its exact bytes, the request
 * headers, the signature rule and the verifier's reasons. The delivery worker and the OpenAPI document come from
 * here, and so do the SDK's constants: generated from the document's `x-webhook-contract` (webhook-openapi.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './schemas.js';

export const TRANSCRIPT_READY_EVENT = 'recording.transcript_ready';
export const WEBHOOK_API_VERSION = '2026-05-01';
export const WEBHOOK_USER_AGENT = 'ChartHero-Webhooks/1';
export const SIGNATURE_VERSION = 'v1';
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The seven request headers, in the order of section 12.2 (names as sent; receivers compare them case-blind). */
export const WEBHOOK_HEADERS = {
  contentType: 'Content-Type',
  eventId: 'ChartHero-Event-Id',
  deliveryId: 'ChartHero-Delivery-Id',
  timestamp: 'ChartHero-Timestamp',
  signature: 'ChartHero-Signature',
  version: 'ChartHero-Webhook-Version',
  userAgent: 'User-Agent',
} as const;

export const WEBHOOK_CONTENT_TYPE = 'application/json';

/** How far a signed timestamp may be from the receiver's clock, either way: the SDK verifier's default. */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;

/** Why `verifyWebhook` refused a request (section 12.5). */
export const WEBHOOK_VERIFY_REASONS = [
  'missing_header',
  'malformed_timestamp',
  'timestamp_out_of_tolerance',
  'unsupported_signature_version',
  'signature_mismatch',
  'event_id_mismatch',
  'version_mismatch',
  'malformed_body',
] as const;

export const TranscriptReadyEvent = Type.Object(
  {
    id: Type.String({ pattern: '^evt_[0-9A-Za-z]+$', description: 'Event id; equals ChartHero-Event-Id.' }),
    type: StringEnum([TRANSCRIPT_READY_EVENT]),
    api_version: StringEnum([WEBHOOK_API_VERSION]),
    occurred_at: Type.String({
      format: 'date-time',
      description: "The transcript's finalized_at (RFC 3339 UTC).",
      examples: ['2026-05-01T15:29:55Z'],
    }),
    organization_id: Type.String(),
    resources: Type.Object(
      { encounter_id: Type.String(), document_id: Type.String() },
      { additionalProperties: false, required: ['encounter_id', 'document_id'] },
    ),
  },
  { $id: 'TranscriptReadyEvent', additionalProperties: false },
);
export type TranscriptReadyEvent = Static<typeof TranscriptReadyEvent>;

export interface TranscriptReadyFields {
  id: string;
  occurredAt: string;
  organizationId: string;
  encounterId: string;
  documentId: string;
}

/**
 * The exact body bytes: keys in the contract's order, no whitespace. Ids are checked ids (no characters JSON
 * escapes differently across serializers), so JSON.stringify of this object literal is the canonical form.
 */
export function transcriptReadyBody(fields: TranscriptReadyFields): string {
  const event: TranscriptReadyEvent = {
    id: fields.id,
    type: TRANSCRIPT_READY_EVENT,
    api_version: WEBHOOK_API_VERSION,
    occurred_at: fields.occurredAt,
    organization_id: fields.organizationId,
    resources: { encounter_id: fields.encounterId, document_id: fields.documentId },
  };
  return JSON.stringify(event);
}

/** What the OpenAPI description says about the signature, word for word what the signer does. */
export const SIGNATURE_RULE =
  '`ChartHero-Signature` is `v1=` followed by the lowercase hex HMAC-SHA256 of the string ' +
  '`"{ChartHero-Timestamp}.{raw request body}"`, keyed with the UTF-8 bytes of the whole endpoint secret ' +
  '(`whsec_…`, prefix included). During a secret rotation the header holds two comma-separated entries, ' +
  '`v1=<new>,v1=<old>`; accept the request if any entry matches a secret you hold. Compare in constant time over ' +
  'the exact raw bytes (never a re-serialized body), reject timestamps more than ' +
  `${WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS / 60} minutes from your clock, and ` +
  'deduplicate by `ChartHero-Event-Id`: delivery is at least once and unordered. Answer any 2xx within 10 seconds; ' +
  'anything else (redirects included, never followed) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and ' +
  '10 h (±10 %), then the delivery is marked failed.';
