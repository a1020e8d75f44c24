/** CONTRACT.md section 3.1: `ch_sk_<env>_<32 base62><6-char base62 CRC-32>`, checked without the database. */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateKey, KEY_LENGTH, keyChecksum, parseKey } from '../../../src/access/key-format.js';

// Vectors computed independently (Python: zlib.crc32, then base62 0-9A-Za-z, most significant first, padded to 6).
const TEST_KEY = `ch_sk_test_${'A'.repeat(32)}4W8fes`;
const LIVE_KEY = 'ch_sk_live_0123456789abcdefghijABCDEFGHIJkl4QO4jv';
// Keys whose CRC-32 is below 62^5 (and 62^4), so their checksum needs the left padding with `0` (same Python).
const PADDED_KEYS = [
  ['one 0', 'ch_sk_test_SIc47WQAmL9xVQ2zg4mZaouqKLiMcVbp0JXT1U', 288_726_776],
  ['two 0s', 'ch_sk_test_H5MQzu7ZzmDOMnqJqpR53jUCNYwSCKNl00sndP', 13_060_511],
  ['one 0, live', 'ch_sk_live_PGFWXEfp6fT260UuqErSwN2uIE73Ccqb0Muade', 338_566_602],
  ['two 0s, live', 'ch_sk_live_ztggBNCcCJIjFjb4Q0DZ4DWWg7mrFg7h00HrWB', 4_257_303],
] as const;
const CHECKSUM_31 = '0EIEbq'; // of `ch_sk_test_` + 31 × A
const CHECKSUM_33 = '35RuCV'; // of `ch_sk_test_` + 33 × A

describe('key format', () => {
  it('matches independently computed checksums', () => {
    expect(keyChecksum(`ch_sk_test_${'A'.repeat(32)}`)).toBe('4W8fes');
    expect(parseKey(TEST_KEY)).toEqual({ environment: 'test', displayPrefix: 'AAAA' });
    expect(parseKey(LIVE_KEY)).toEqual({ environment: 'live', displayPrefix: '0123' });
  });

  it.each(PADDED_KEYS)('left-pads a short checksum with 0 (%s)', (_name, key, crc) => {
    const head = key.slice(0, -6);
    expect(crc32(head)).toBe(crc); // the vector's CRC-32, from node:zlib rather than src
    expect(keyChecksum(head)).toBe(key.slice(-6));
    expect(parseKey(key)).toEqual({ environment: key.slice(6, 10), displayPrefix: key.slice(11, 15) });
    // The unpadded checksum (5 or 4 characters) is a different, malformed key.
    expect(parseKey(head + key.slice(-6).replace(/^0+/, ''))).toBeNull();
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
    // Valid checksums over a body one character too short or too long (checksums computed with Python, as above).
    ['a 31-character body with its checksum', `ch_sk_test_${'A'.repeat(31)}${CHECKSUM_31}`],
    ['a 33-character body with its checksum', `ch_sk_test_${'A'.repeat(33)}${CHECKSUM_33}`],
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
