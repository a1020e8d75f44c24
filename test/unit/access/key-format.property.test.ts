/**
 * Property tests for the key parser: for every generated string, `parseKey` answers exactly what an oracle written
 * from CONTRACT.md section 3.1 answers (test/support/keys.ts computes the checksum with node:zlib, not with src/),
 * and never throws. The generators aim at the boundary: valid keys, and valid keys one edit away from valid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseKey } from '../../../src/access/key-format.js';
import { checksum } from '../../support/keys.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The contract's answer: 32 base62 characters after `ch_sk_live_` or `ch_sk_test_`, then their 6-character checksum. */
function oracle(token: string): { environment: string; displayPrefix: string } | null {
  const match = /^ch_sk_(live|test)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/.exec(token);
  if (!match) return null;
  const [, environment, body, sum] = match as unknown as [string, string, string, string];
  if (checksum(`ch_sk_${environment}_${body}`) !== sum) return null;
  return { environment, displayPrefix: body.slice(0, 4) };
}

const base62 = (minLength: number, maxLength = minLength) =>
  fc.string({ unit: fc.constantFrom(...BASE62), minLength, maxLength });
const environment = fc.constantFrom('live', 'test');
/** `ch_sk_<env>_<body>` plus the contract checksum of exactly that. */
const withChecksum = (env: string, body: string) => `ch_sk_${env}_${body}${checksum(`ch_sk_${env}_${body}`)}`;

const validKey = fc.tuple(environment, base62(32)).map(([env, body]) => withChecksum(env, body));

/** One edit of a valid key: a substitution, a deletion, an insertion, or a cut. */
const editedKey = fc
  .tuple(
    validKey,
    fc.nat({ max: 48 }),
    fc.oneof(fc.constantFrom(...BASE62), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
    fc.constantFrom('substitute', 'delete', 'insert', 'cut'),
  )
  .map(([key, at, char, edit]) => {
    if (edit === 'substitute') return key.slice(0, at) + char + key.slice(at + 1);
    if (edit === 'delete') return key.slice(0, at) + key.slice(at + 1);
    if (edit === 'insert') return key.slice(0, at) + char + key.slice(at);
    return key.slice(0, at);
  });

/** A valid checksum over a body of the wrong length, or over another environment word. */
const nearFormat = fc.oneof(
  fc.tuple(environment, base62(28, 36)).map(([env, body]) => withChecksum(env, body)),
  fc
    .tuple(fc.constantFrom('prod', 'Live', 'TEST', 'live ', '', 'tes'), base62(32))
    .map(([env, body]) => withChecksum(env, body)),
  fc.tuple(environment, base62(32), base62(6)).map(([env, body, sum]) => `ch_sk_${env}_${body}${sum}`),
);

const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ maxLength: 200 }));

describe('parseKey properties', () => {
  it.each([
    ['any string', anyString],
    ['a valid key', validKey],
    ['a valid key one edit away', editedKey],
    ['a checksum over the wrong length or environment, or a random checksum', nearFormat],
  ] as const)('answers what the contract oracle answers, for %s', (_name, tokens) => {
    fc.assert(
      fc.property(tokens, (token) => {
        expect(parseKey(token)).toEqual(oracle(token));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every valid key (the oracle is not vacuous)', () => {
    fc.assert(
      fc.property(environment, base62(32), (env, body) => {
        expect(parseKey(withChecksum(env, body))).toEqual({ environment: env, displayPrefix: body.slice(0, 4) });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every single-character substitution of a valid key (CRC-32 catches all of them)', () => {
    fc.assert(
      fc.property(validKey, fc.integer({ min: 11, max: 48 }), fc.integer({ min: 1, max: 61 }), (key, at, shift) => {
        const replaced = BASE62[(BASE62.indexOf(key[at]!) + shift) % 62]!;
        expect(parseKey(key.slice(0, at) + replaced + key.slice(at + 1))).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });
});
