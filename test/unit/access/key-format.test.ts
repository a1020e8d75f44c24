/** CONTRACT.md section 3.1: `ch_sk_<env>_<32 base62><6-char base62 CRC-32>`, checked without the database. */
import { describe, expect, it } from 'vitest';
import { generateKey, KEY_LENGTH, keyChecksum, parseKey } from '../../../src/access/key-format.js';

// Vectors computed independently (Python: zlib.crc32, then base62 0-9A-Za-z, most significant first, padded to 6).
const TEST_KEY = `ch_sk_test_${'A'.repeat(32)}4W8fes`;
const LIVE_KEY = 'ch_sk_live_0123456789abcdefghijABCDEFGHIJkl4QO4jv';

describe('key format', () => {
  it('matches independently computed checksums', () => {
    expect(keyChecksum(`ch_sk_test_${'A'.repeat(32)}`)).toBe('4W8fes');
    expect(parseKey(TEST_KEY)).toEqual({ environment: 'test', displayPrefix: 'AAAA' });
    expect(parseKey(LIVE_KEY)).toEqual({ environment: 'live', displayPrefix: '0123' });
  });

  it('has a fixed length of 49 for both environments', () => {
    expect(KEY_LENGTH).toBe(49);
    expect(TEST_KEY).toHaveLength(49);
    expect(generateKey('live')).toHaveLength(49);
    expect(generateKey('test')).toHaveLength(49);
  });

  it.each([
    ['empty', ''],
    ['checksum off by one character', `${TEST_KEY.slice(0, -1)}t`],
    ['body changed, checksum kept', TEST_KEY.replace('AAAA', 'AAAB')],
    ['one character short', TEST_KEY.slice(0, -1)],
    ['one character long', `${TEST_KEY}0`],
    ['unknown environment', TEST_KEY.replace('_test_', '_prod_')],
    ['upper-case prefix', TEST_KEY.replace('ch_sk_', 'CH_SK_')],
    ['non-base62 character', `${TEST_KEY.slice(0, 20)}-${TEST_KEY.slice(21)}`],
    ['trailing newline', `${TEST_KEY}\n`],
    ['leading space', ` ${TEST_KEY}`],
    ['another vendor', 'sk_live_51H8abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'],
  ])('rejects %s', (_name, token) => {
    expect(parseKey(token)).toBeNull();
  });

  it('generates distinct keys that parse', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateKey('test')));
    expect(keys.size).toBe(1000);
    for (const key of keys) expect(parseKey(key)?.environment).toBe('test');
  });
});
