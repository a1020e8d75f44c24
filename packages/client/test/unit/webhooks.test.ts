/**
 * verifyWebhook (CONTRACT.md section 12.5): the published test vectors (read from the README itself), each reason in
 * its order, rotation, header shapes, and the server's contract constants (src/contract/webhooks.ts) matching the
 * SDK's own copy.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as server from '../../../../src/contract/webhooks.js';
import {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  TRANSCRIPT_READY_EVENT,
  type TranscriptReadyEvent,
  verifyWebhook,
  WEBHOOK_API_VERSION,
  WEBHOOK_HEADERS,
  WEBHOOK_VERIFY_REASONS,
  WebhookVerificationError,
  type WebhookVerifyReason,
} from '../../src/index.js';

interface Vector {
  secret: string;
  timestamp: string;
  body: string;
  signature: string;
}

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const VECTORS = JSON.parse(/```json webhook-test-vectors\n([\s\S]*?)```/.exec(README)![1]!) as Vector[];
const [single, rotation] = VECTORS as [Vector, Vector];
const SECRET = single.secret;
const NOW = Number(single.timestamp);

function headersFor(vector: Vector, overrides: Record<string, string | undefined> = {}) {
  // Both vectors carry the same event; bodies that are not events (malformed_body) keep its id and version.
  const body = JSON.parse(single.body) as TranscriptReadyEvent;
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'charthero-event-id': body.id,
    'charthero-delivery-id': 'whd_test',
    'charthero-timestamp': vector.timestamp,
    'charthero-signature': vector.signature,
    'charthero-webhook-version': body.api_version,
    'user-agent': 'ChartHero-Webhooks/1',
    ...overrides,
  };
  return headers;
}

function reasonOf(run: () => unknown): WebhookVerifyReason {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).name).toBe('WebhookVerificationError');
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('verifyWebhook accepted the request');
}

/** A correctly signed request for any body (to reach the checks after the signature). */
function signed(body: string, overrides: Record<string, string> = {}) {
  const signature = `v1=${createHmac('sha256', SECRET).update(`${NOW}.${body}`).digest('hex')}`;
  return headersFor({ ...single, body, signature }, overrides);
}

describe('the published test vectors', () => {
  it('are in the README, one plain and one rotation', () => {
    expect(VECTORS).toHaveLength(2);
    for (const vector of VECTORS) expect(vector.secret).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
    expect(rotation.signature.split(',')).toHaveLength(2);
  });

  it('each signature is HMAC-SHA256 over "{timestamp}.{body}" with the secret string as the key', () => {
    expect(single.signature).toBe(
      `v1=${createHmac('sha256', single.secret).update(`${single.timestamp}.${single.body}`).digest('hex')}`,
    );
    expect(rotation.signature).toBe(
      `${single.signature},v1=${createHmac('sha256', rotation.secret).update(`${rotation.timestamp}.${rotation.body}`).digest('hex')}`,
    );
  });

  it('verify and return the typed event, with the body as a string or as bytes', () => {
    const event = verifyWebhook(single.body, headersFor(single), single.secret, { nowSeconds: NOW });
    expect(event).toStrictEqual(JSON.parse(single.body));
    expectTypeOf(event).toEqualTypeOf<TranscriptReadyEvent>();
    expect(
      verifyWebhook(Buffer.from(single.body), headersFor(single), single.secret, { nowSeconds: NOW }),
    ).toStrictEqual(event);
    expect(
      verifyWebhook(new TextEncoder().encode(single.body), headersFor(single), single.secret, { nowSeconds: NOW }),
    ).toStrictEqual(event);
  });

  it('a rotation overlap verifies with the new secret, the old one, or both', () => {
    for (const secrets of [[single.secret], [rotation.secret], [rotation.secret, single.secret]]) {
      expect(verifyWebhook(rotation.body, headersFor(rotation), secrets, { nowSeconds: NOW }).id).toBe(
        'evt_2b9Qx7VfR1mKc8Lw3Yz0Np4T',
      );
    }
  });

  it('accepts a fetch Headers object and header names in any case', () => {
    const headers = new Headers(headersFor(single) as Record<string, string>);
    expect(verifyWebhook(single.body, headers, SECRET, { nowSeconds: NOW }).type).toBe('recording.transcript_ready');
    const upper = Object.fromEntries(Object.entries(headersFor(single)).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(single.body, upper, SECRET, { nowSeconds: NOW }).type).toBe('recording.transcript_ready');
  });
});

describe('refusals, each with its reason', () => {
  const verify = (body: string | Uint8Array, headers: Record<string, string | undefined>, options = {}) =>
    reasonOf(() => verifyWebhook(body, headers, SECRET, { nowSeconds: NOW, ...options }));

  it.each(['charthero-event-id', 'charthero-timestamp', 'charthero-signature', 'charthero-webhook-version'])(
    'missing_header without %s (or with it empty)',
    (name) => {
      expect(verify(single.body, headersFor(single, { [name]: undefined }))).toBe('missing_header');
      expect(verify(single.body, headersFor(single, { [name]: '' }))).toBe('missing_header');
    },
  );

  it.each(['-1', '1.5', '1e9', ' 1777649400', 'abc', '1777649400,1777649400', '1'.repeat(16)])(
    'malformed_timestamp for %j',
    (timestamp) => {
      expect(verify(single.body, headersFor(single, { 'charthero-timestamp': timestamp }))).toBe('malformed_timestamp');
    },
  );

  it('timestamp_out_of_tolerance past 300 s either way by default, and with a custom tolerance', () => {
    expect(verify(single.body, headersFor(single), { nowSeconds: NOW + 301 })).toBe('timestamp_out_of_tolerance');
    expect(verify(single.body, headersFor(single), { nowSeconds: NOW - 301 })).toBe('timestamp_out_of_tolerance');
    expect(verifyWebhook(single.body, headersFor(single), SECRET, { nowSeconds: NOW + 300 }).id).toBeDefined();
    expect(verify(single.body, headersFor(single), { nowSeconds: NOW + 61, toleranceSeconds: 60 })).toBe(
      'timestamp_out_of_tolerance',
    );
  });

  it('unsupported_signature_version when no entry is v1=', () => {
    const v2 = single.signature.replace('v1=', 'v2=');
    expect(verify(single.body, headersFor(single, { 'charthero-signature': v2 }))).toBe(
      'unsupported_signature_version',
    );
    expect(verify(single.body, headersFor(single, { 'charthero-signature': 'sha256=abc' }))).toBe(
      'unsupported_signature_version',
    );
  });

  it('signature_mismatch for a wrong secret, a changed byte, a changed timestamp or a malformed v1 entry', () => {
    expect(reasonOf(() => verifyWebhook(single.body, headersFor(single), rotation.secret, { nowSeconds: NOW }))).toBe(
      'signature_mismatch',
    );
    expect(verify(`${single.body} `, headersFor(single))).toBe('signature_mismatch');
    expect(verify(single.body.replace('doc_456', 'doc_457'), headersFor(single))).toBe('signature_mismatch');
    expect(verify(single.body, headersFor(single, { 'charthero-timestamp': String(NOW + 1) }))).toBe(
      'signature_mismatch',
    );
    expect(verify(single.body, headersFor(single, { 'charthero-signature': 'v1=zz' }))).toBe('signature_mismatch');
    expect(verify(single.body, headersFor(single, { 'charthero-signature': single.signature.toUpperCase() }))).toBe(
      'unsupported_signature_version',
    );
    // A re-serialized body (other whitespace) is not the signed bytes.
    expect(verify(JSON.stringify(JSON.parse(single.body), null, 1), headersFor(single))).toBe('signature_mismatch');
  });

  it('malformed_body for signed bytes that are not UTF-8 JSON of an event', () => {
    for (const body of [
      'not json',
      '[]',
      '{"id":"evt_x"}',
      JSON.stringify({ ...JSON.parse(single.body), type: 'x' }),
    ]) {
      expect(verify(body, signed(body))).toBe('malformed_body');
    }
    const invalidUtf8 = Buffer.from([0x7b, 0xff, 0x7d]);
    const signature = `v1=${createHmac('sha256', SECRET)
      .update(Buffer.concat([Buffer.from(`${NOW}.`), invalidUtf8]))
      .digest('hex')}`;
    expect(verify(invalidUtf8, headersFor(single, { 'charthero-signature': signature }))).toBe('malformed_body');
  });

  it('event_id_mismatch when the header and the body disagree', () => {
    expect(verify(single.body, signed(single.body, { 'charthero-event-id': 'evt_other' }))).toBe('event_id_mismatch');
  });

  it('version_mismatch when the header, the body or this SDK disagree on api_version', () => {
    expect(verify(single.body, signed(single.body, { 'charthero-webhook-version': '2027-01-01' }))).toBe(
      'version_mismatch',
    );
    const future = JSON.stringify({ ...JSON.parse(single.body), api_version: '2027-01-01' });
    expect(verify(future, signed(future, { 'charthero-webhook-version': '2027-01-01' }))).toBe('version_mismatch');
  });
});

describe('one contract', () => {
  it("the SDK's constants are the server's (src/contract/webhooks.ts)", () => {
    expect(WEBHOOK_API_VERSION).toBe(server.WEBHOOK_API_VERSION);
    expect(TRANSCRIPT_READY_EVENT).toBe(server.TRANSCRIPT_READY_EVENT);
    expect(WEBHOOK_HEADERS).toStrictEqual(server.WEBHOOK_HEADERS);
    expect(WEBHOOK_VERIFY_REASONS).toStrictEqual(server.WEBHOOK_VERIFY_REASONS);
    expect(DEFAULT_WEBHOOK_TOLERANCE_SECONDS).toBe(server.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS);
  });

  it("the server's body serializer produces the vectors' body", () => {
    expect(
      server.transcriptReadyBody({
        id: 'evt_2b9Qx7VfR1mKc8Lw3Yz0Np4T',
        occurredAt: '2026-05-01T15:29:55Z',
        organizationId: 'org_demo',
        encounterId: 'enc_123',
        documentId: 'doc_456',
      }),
    ).toBe(single.body);
  });
});
