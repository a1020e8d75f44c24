/**
 * What is derived from a keyring entry must never change: stored key digests and audit chains were computed with
 * it. Each derivation against HMAC-SHA256 computed here from the raw secret, including for a second entry (a
 * derivation cached per entry must never answer with another entry's key).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditChainKey,
  derivedKey,
  type KeyringEntry,
  keyDigest,
  mediaSigningKey,
} from '../../../src/access/digest-keyring.js';

const hmac = (secret: Buffer, text: string) => createHmac('sha256', secret).update(text).digest();

const entries: KeyringEntry[] = [1, 2].map((version) => ({
  version,
  secret: randomBytes(32),
  createdAt: '2026-12-04T00:00:00Z',
}));
const TOKEN = 'ch_sk_test_0123456789abcdefghijklmnopqrstuvAbC123';

describe('keyring derivations', () => {
  it.each(entries)('key digest of version $version: hex HMAC-SHA256(secret, token)', (entry) => {
    expect(keyDigest(entry, TOKEN)).toBe(hmac(entry.secret, TOKEN).toString('hex'));
    // Asked again (the cached key object), the same answer.
    expect(keyDigest(entry, TOKEN)).toBe(hmac(entry.secret, TOKEN).toString('hex'));
  });

  it.each(entries)('labelled keys of version $version: HMAC-SHA256(secret, label)', (entry) => {
    expect(derivedKey(entry, 'some/label')).toEqual(hmac(entry.secret, 'some/label'));
    expect(mediaSigningKey(entry)).toEqual(hmac(entry.secret, 'charthero/media-url/v1'));
    expect(auditChainKey(entry).export()).toEqual(hmac(entry.secret, 'charthero/audit-chain/v1'));
  });
});
