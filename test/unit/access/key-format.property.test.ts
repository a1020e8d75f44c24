/** Property tests for the key parser: any string is a documented outcome, never an exception. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKey, keyChecksum, parseKey } from '../../../src/access/key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('parseKey properties', () => {
  it('never throws and answers null or a parsed key, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 200 })), (token) => {
        const parsed = parseKey(token);
        if (parsed !== null) {
          expect(token).toMatch(/^ch_sk_(live|test)_[0-9A-Za-z]{38}$/);
          expect(parsed.displayPrefix).toBe(token.slice(11, 15));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects every single-character substitution of a valid key (CRC-32 catches all of them)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'live' | 'test'>('live', 'test'),
        fc.integer({ min: 11, max: 48 }),
        fc.integer({ min: 1, max: 61 }),
        (environment, position, shift) => {
          const key = generateKey(environment);
          const replaced = BASE62[(BASE62.indexOf(key[position]!) + shift) % 62]!;
          const mutated = key.slice(0, position) + replaced + key.slice(position + 1);
          expect(parseKey(mutated)).toBeNull();
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('accepts a random body with its checksum and refuses it with any other', () => {
    const base62 = (length: number) =>
      fc.string({ unit: fc.constantFrom(...BASE62), minLength: length, maxLength: length });
    fc.assert(
      fc.property(fc.constantFrom('live', 'test'), base62(32), base62(6), (environment, body, other) => {
        const head = `ch_sk_${environment}_${body}`;
        expect(parseKey(head + keyChecksum(head))).toEqual({ environment, displayPrefix: body.slice(0, 4) });
        if (other !== keyChecksum(head)) expect(parseKey(head + other)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});
