/** The OpenAPI 3.1 `webhooks` entry for recording.transcript_ready, from the one webhook contract module. */
import {
  SIGNATURE_RULE,
  SIGNATURE_VERSION,
  TRANSCRIPT_READY_EVENT,
  TranscriptReadyEvent,
  transcriptReadyBody,
  WEBHOOK_API_VERSION,
  WEBHOOK_CONTENT_TYPE,
  WEBHOOK_HEADERS,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  WEBHOOK_USER_AGENT,
  WEBHOOK_VERIFY_REASONS,
} from './webhooks.js';

type Json = Record<string, unknown>;

const EXAMPLE_BODY = transcriptReadyBody({
  id: 'evt_2b9Qx7VfR1mKc8Lw3Yz0Np4T',
  occurredAt: '2026-05-01T15:29:55Z',
  organizationId: 'org_demo',
  encounterId: 'enc_123',
  documentId: 'doc_456',
});

/** Every header but Content-Type, which OpenAPI describes through the request body's media type. */
const HEADER_PARAMETERS: { name: string; description: string; schema: Json }[] = [
  {
    name: WEBHOOK_HEADERS.eventId,
    description: "The body's `id`: the receiver's idempotency key (the same on every attempt and every replay).",
    schema: { type: 'string', pattern: '^evt_[0-9A-Za-z]+$' },
  },
  {
    name: WEBHOOK_HEADERS.deliveryId,
    description: 'Stable for one (event, endpoint) delivery and reused across its retries; a replay gets a new one.',
    schema: { type: 'string', pattern: '^whd_[0-9A-Za-z]+$' },
  },
  {
    name: WEBHOOK_HEADERS.timestamp,
    description: 'Decimal Unix seconds of this attempt; part of the signed string.',
    schema: { type: 'string', pattern: '^[0-9]+$', examples: ['1777649395'] },
  },
  {
    name: WEBHOOK_HEADERS.signature,
    description: SIGNATURE_RULE,
    schema: { type: 'string', pattern: '^v1=[0-9a-f]{64}(,v1=[0-9a-f]{64})?$' },
  },
  {
    name: WEBHOOK_HEADERS.version,
    description: "The body's `api_version`.",
    schema: { type: 'string', enum: [WEBHOOK_API_VERSION] },
  },
  {
    name: WEBHOOK_HEADERS.userAgent,
    description: 'Always this value.',
    schema: { type: 'string', enum: [WEBHOOK_USER_AGENT] },
  },
];

export function webhooksSection(component: (schema: unknown) => unknown): Json {
  return {
    [TRANSCRIPT_READY_EVENT]: {
      post: {
        operationId: 'recording_transcript_ready',
        summary: 'A transcript became ready',
        description:
          'Sent once per enabled endpoint of the organization when an ambient transcript of an available clinical ' +
          'encounter is finalized. A thin pointer without PHI: read the transcript with `get_transcript`. The body ' +
          `is exactly these bytes (keys in this order, no whitespace) and is \`${WEBHOOK_CONTENT_TYPE}\`. ` +
          SIGNATURE_RULE,
        tags: ['Webhooks'],
        security: [],
        parameters: HEADER_PARAMETERS.map((header) => ({ in: 'header', required: true, ...header })),
        requestBody: {
          required: true,
          content: {
            [WEBHOOK_CONTENT_TYPE]: {
              schema: component(TranscriptReadyEvent),
              example: JSON.parse(EXAMPLE_BODY),
            },
          },
        },
        responses: {
          '2XX': { description: 'Any 2xx within 10 seconds marks the delivery delivered; the body is ignored.' },
          default: {
            description:
              'Anything else — another status, a redirect (never followed), a timeout, a refused connection or a TLS ' +
              'error — is a failed attempt, retried on the schedule above. Only the status code is kept.',
          },
        },
      },
    },
  };
}

/**
 * `x-webhook-contract`: what a receiver's verifier needs, as the server defines it. The SDK's webhook constants are
 * generated from it (packages/client/scripts/generate-contract.mjs), so they have no second definition.
 */
export function webhookContract(): Json {
  return {
    event_type: TRANSCRIPT_READY_EVENT,
    api_version: WEBHOOK_API_VERSION,
    headers: { ...WEBHOOK_HEADERS },
    signature_version: SIGNATURE_VERSION,
    timestamp_tolerance_seconds: WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
    verify_reasons: [...WEBHOOK_VERIFY_REASONS],
  };
}
