/**
 * The OpenAPI document's top-level `webhooks` entry (CONTRACT.md section 12.5): the event body schema, every
 * request header, and the signature rule, all from src/contract/webhooks.ts.
 */
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../src/contract/openapi.js';
import {
  SIGNATURE_RULE,
  SIGNATURE_VERSION,
  TRANSCRIPT_READY_EVENT,
  transcriptReadyBody,
  WEBHOOK_API_VERSION,
  WEBHOOK_HEADERS,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
  WEBHOOK_VERIFY_REASONS,
} from '../../src/contract/webhooks.js';

// biome-ignore lint/suspicious/noExplicitAny: walking a parsed JSON document
const built = JSON.parse(JSON.stringify(buildOpenApiDocument())) as Record<string, any>;

describe('the OpenAPI webhooks entry', () => {
  const operation = built.webhooks['recording.transcript_ready'].post;

  it('is the only webhook, a POST without bearer auth, tagged Webhooks', () => {
    expect(Object.keys(built.webhooks)).toStrictEqual(['recording.transcript_ready']);
    expect(Object.keys(built.webhooks['recording.transcript_ready'])).toStrictEqual(['post']);
    expect(operation.security).toStrictEqual([]);
    expect(operation.tags).toStrictEqual(['Webhooks']);
    expect(built.tags.map((tag: { name: string }) => tag.name)).toContain('Webhooks');
  });

  it('describes the body with the TranscriptReadyEvent schema, keys in the order of the exact bytes', () => {
    const content = operation.requestBody.content['application/json'];
    expect(operation.requestBody.required).toBe(true);
    expect(content.schema).toStrictEqual({ $ref: '#/components/schemas/TranscriptReadyEvent' });
    const schema = built.components.schemas.TranscriptReadyEvent;
    const example = transcriptReadyBody({
      id: 'evt_2b9Qx7VfR1mKc8Lw3Yz0Np4T',
      occurredAt: '2026-05-01T15:29:55Z',
      organizationId: 'org_demo',
      encounterId: 'enc_123',
      documentId: 'doc_456',
    });
    expect(JSON.stringify(content.example)).toBe(example);
    expect(Object.keys(schema.properties)).toStrictEqual(Object.keys(JSON.parse(example)));
    expect(schema.required).toStrictEqual(Object.keys(JSON.parse(example)));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.type).toStrictEqual({ type: 'string', enum: ['recording.transcript_ready'] });
    expect(schema.properties.api_version).toStrictEqual({ type: 'string', enum: ['2026-05-01'] });
  });

  it('lists every header as required (Content-Type through the media type) and states the signature rule', () => {
    const names = operation.parameters.map((parameter: { name: string; in: string; required: boolean }) => {
      expect(parameter).toMatchObject({ in: 'header', required: true });
      return parameter.name;
    });
    const { contentType, ...others } = WEBHOOK_HEADERS;
    expect(names).toStrictEqual(Object.values(others));
    expect(Object.keys(operation.requestBody.content)).toStrictEqual([
      contentType === 'Content-Type' ? 'application/json' : '',
    ]);
    expect(operation.description).toContain(SIGNATURE_RULE);
    expect(SIGNATURE_RULE).toContain('"{ChartHero-Timestamp}.{raw request body}"');
    expect(SIGNATURE_RULE).toContain('`v1=<new>,v1=<old>`');
    const signature = operation.parameters.find(
      (parameter: { name: string }) => parameter.name === 'ChartHero-Signature',
    );
    expect(signature.description).toBe(SIGNATURE_RULE);
    expect(operation.responses['2XX'].description).toContain('10 seconds');
  });

  it('x-webhook-contract carries the constants the SDK is generated from, and the rule states the tolerance', () => {
    expect(built['x-webhook-contract']).toStrictEqual({
      event_type: TRANSCRIPT_READY_EVENT,
      api_version: WEBHOOK_API_VERSION,
      headers: WEBHOOK_HEADERS,
      signature_version: SIGNATURE_VERSION,
      timestamp_tolerance_seconds: WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
      verify_reasons: [...WEBHOOK_VERIFY_REASONS],
    });
    expect(SIGNATURE_RULE).toContain('reject timestamps more than 5 minutes from your clock');
  });
});
