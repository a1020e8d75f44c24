/** The plain functions under the webhook worker: configuration, retry delays, sealed secrets, address ranges. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Keyring } from '../../../src/access/digest-keyring.js';
import { loadConfig } from '../../../src/config.js';
import { isPublicAddress } from '../../../src/webhooks/address-guard.js';
import { retryDelayMs } from '../../../src/webhooks/retry-schedule.js';
import { generateWebhookSecret, openSecret, SealedSecretError, sealSecret } from '../../../src/webhooks/secrets.js';

describe('webhook configuration', () => {
  it('defaults to delivering, with the contract schedule and a 30 s lease', () => {
    const config = loadConfig({});
    expect(config.webhooksEnabled).toBe(true);
    expect(config.webhookRetryScheduleSeconds).toStrictEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    // A dead instance's lease runs out, and the 1 s poll finds it, within the contract's 60 s.
    expect(config.webhookLeaseSeconds * 1000 + 1000).toBeLessThan(60_000);
  });

  it('reads the schedule and the switch', () => {
    expect(loadConfig({ CHARTHERO_WEBHOOK_RETRY_SCHEDULE: '1,2,3' }).webhookRetryScheduleSeconds).toStrictEqual([
      1, 2, 3,
    ]);
    expect(loadConfig({ CHARTHERO_WEBHOOK_RETRY_SCHEDULE: ' 10 , 20 ' }).webhookRetryScheduleSeconds).toStrictEqual([
      10, 20,
    ]);
    expect(loadConfig({ CHARTHERO_WEBHOOKS_ENABLED: 'false' }).webhooksEnabled).toBe(false);
  });

  it.each(['0', '1,,2', '-5', '1.5', 'a', '05', '604801', '1;2', Array(21).fill('1').join(',')])(
    'refuses the schedule %j at startup, naming the variable',
    (value) => {
      expect(() => loadConfig({ CHARTHERO_WEBHOOK_RETRY_SCHEDULE: value })).toThrow(
        `CHARTHERO_WEBHOOK_RETRY_SCHEDULE: must be 1 to 20 comma-separated integers of seconds from 1 to 604800 (got ${JSON.stringify(value)})`,
      );
    },
  );

  it('refuses a lease outside 2-30 s and a bad switch', () => {
    expect(() => loadConfig({ CHARTHERO_WEBHOOK_LEASE_SECONDS: '1' })).toThrow('CHARTHERO_WEBHOOK_LEASE_SECONDS');
    expect(() => loadConfig({ CHARTHERO_WEBHOOK_LEASE_SECONDS: '31' })).toThrow('CHARTHERO_WEBHOOK_LEASE_SECONDS');
    expect(() => loadConfig({ CHARTHERO_WEBHOOKS_ENABLED: 'maybe' })).toThrow('CHARTHERO_WEBHOOKS_ENABLED');
  });
});

describe('retryDelayMs', () => {
  it('spreads each delay by at most ±10 %', () => {
    expect(retryDelayMs([5, 300], 1, () => 0)).toBe(4500);
    expect(retryDelayMs([5, 300], 1, () => 0.5)).toBe(5000);
    expect(retryDelayMs([5, 300], 1, () => 0.999999)).toBe(5500);
    expect(retryDelayMs([5, 300], 2, () => 0)).toBe(270_000);
    for (let i = 0; i < 1000; i++) {
      const delay = retryDelayMs([1800], 1)!;
      expect(delay).toBeGreaterThanOrEqual(1_620_000);
      expect(delay).toBeLessThanOrEqual(1_980_000);
    }
  });

  it('is null after the last attempt (schedule length + 1 attempts)', () => {
    expect(retryDelayMs([5, 300], 3)).toBeNull();
    expect(retryDelayMs([], 1)).toBeNull();
  });
});

describe('endpoint secrets', () => {
  const keyring = (versions: number[]): Keyring => ({
    entries: versions.map((version) => ({ version, secret: randomBytes(32), createdAt: '' })).reverse(),
  });

  it('are whsec_ and 32 base62 characters, each one new', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateWebhookSecret));
    expect(secrets.size).toBe(200);
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
  });

  it('seal with AES-256-GCM under the newest keyring version and open again', () => {
    const ring = keyring([1, 2]);
    const secret = generateWebhookSecret();
    const sealed = sealSecret(ring, 'whe_1', secret);
    expect(sealed).toMatch(/^2\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(Buffer.from(sealed.slice(2), 'base64url').includes(Buffer.from(secret.slice(6)))).toBe(false);
    expect(sealSecret(ring, 'whe_1', secret)).not.toBe(sealed); // A fresh IV every time.
    expect(openSecret(ring, 'whe_1', sealed)).toBe(secret);
  });

  it('still open after a keyring rotation, but not with a keyring that lost their version', () => {
    const old = keyring([1]);
    const sealed = sealSecret(old, 'whe_1', 'whsec_x');
    const rotated: Keyring = { entries: [{ version: 2, secret: randomBytes(32), createdAt: '' }, ...old.entries] };
    expect(openSecret(rotated, 'whe_1', sealed)).toBe('whsec_x');
    expect(() => openSecret(keyring([2]), 'whe_1', sealed)).toThrow(SealedSecretError);
  });

  it('do not open on another endpoint, with another keyring, or after tampering', () => {
    const ring = keyring([1]);
    const sealed = sealSecret(ring, 'whe_1', 'whsec_x');
    expect(() => openSecret(ring, 'whe_2', sealed)).toThrow('sealed secret does not open with this keyring');
    expect(() => openSecret(keyring([1]), 'whe_1', sealed)).toThrow(SealedSecretError);
    const bytes = Buffer.from(sealed.slice(2), 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => openSecret(ring, 'whe_1', `1.${bytes.toString('base64url')}`)).toThrow(SealedSecretError);
    expect(() => openSecret(ring, 'whe_1', 'plain')).toThrow('sealed secret is malformed');
  });
});

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.1.2.3',
    'not an address',
  ])('blocks %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])('allows %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});
