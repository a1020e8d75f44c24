/** The signature rule of docs/webhooks.md (the SDK's verifyWebhook checks the same bytes). */
import { createHmac } from 'node:crypto';
import { SIGNATURE_VERSION } from '../contract/webhooks.js';

/** Lowercase hex HMAC-SHA256 over `"{timestamp}.{body}"`, keyed with the secret string's UTF-8 bytes. */
function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** `v1=<hex>` per secret, newest first: two entries while a rotated-out secret is still honoured. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((secret) => `${SIGNATURE_VERSION}=${webhookSignature(secret, timestamp, body)}`).join(',');
}
