/**
 * Endpoint secrets (docs/webhooks.md): `whsec_` + 32 base62 CSPRNG characters, shown once and stored only
 * sealed with AES-256-GCM. The key is derived from the digest keyring under a label of its own; the sealed form
 * names the keyring version, so secrets sealed before a keyring rotation still open. The endpoint id is the
 * associated data: a sealed secret copied onto another endpoint's row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { derivedKey, entryByVersion, type Keyring, newestEntry } from '../access/digest-keyring.js';
import { randomBase62 } from '../access/key-format.js';
import { WEBHOOK_SECRET_PREFIX } from '../contract/webhooks.js';

const SECRET_LABEL = 'charthero/webhook-secret/v1';
const SECRET_RANDOM_LENGTH = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealedSecretError extends Error {
  override name = 'SealedSecretError';
}

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBase62(SECRET_RANDOM_LENGTH);
}

export function sealSecret(keyring: Keyring, endpointId: string, secret: string): string {
  const entry = newestEntry(keyring);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(entry, SECRET_LABEL), iv);
  cipher.setAAD(Buffer.from(endpointId, 'utf8'));
  const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${entry.version}.${sealed.toString('base64url')}`;
}

export function openSecret(keyring: Keyring, endpointId: string, sealed: string): string {
  const match = /^([1-9][0-9]*)\.([A-Za-z0-9_-]+)$/.exec(sealed);
  if (!match) throw new SealedSecretError('sealed secret is malformed');
  const entry = entryByVersion(keyring, Number(match[1]));
  if (!entry) throw new SealedSecretError(`keyring version ${match[1]} is not in the keyring`);
  const bytes = Buffer.from(match[2]!, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw new SealedSecretError('sealed secret is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', derivedKey(entry, SECRET_LABEL), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(endpointId, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    throw new SealedSecretError('sealed secret does not open with this keyring');
  }
}
