/**
 * The running server's view of the digest keyring file. It is re-read at most once a second, so a rotation is
 * picked up and a removed or unreadable file turns into 503 digest_key_unavailable until it is restored.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { PublicError } from '../contract/errors.js';
import { createKeyringFile, type Keyring, readKeyringFile } from './digest-keyring.js';

export interface KeyringSource {
  /** The current keyring; throws PublicError('digest_key_unavailable') when it cannot be loaded. */
  get(): Keyring;
  /** Whether the keyring loads right now (for /readyz). */
  ready(): boolean;
}

/** The sandbox default invents its keyring on first run; production never does. */
export function ensureKeyringFile(config: Config): void {
  if (config.createKeyringIfAbsent && !existsSync(config.digestKeysFile)) createKeyringFile(config.digestKeysFile);
}

export function loadKeyring(config: Config): Keyring {
  return readKeyringFile(config.digestKeysFile, { requirePrivate: config.environment === 'production' });
}

export function createKeyringSource(config: Config, recheckMs = 1000, now: () => number = Date.now): KeyringSource {
  let cached: Keyring | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  const refresh = () => {
    if (now() - checkedAt < recheckMs) return;
    checkedAt = now();
    try {
      cached = loadKeyring(config);
    } catch {
      cached = null;
    }
  };
  return {
    get() {
      refresh();
      if (!cached) throw new PublicError('digest_key_unavailable');
      return cached;
    },
    ready() {
      refresh();
      return cached !== null;
    },
  };
}
