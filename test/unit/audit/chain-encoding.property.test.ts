import { createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditFields,
  CHAINED_FIELDS,
  chainHash,
  chainRecords,
  GENESIS_HASH,
  legacyHash,
} from '../../../src/audit/chain.js';

/**
 * The oracle: the encoding as docs/audit.md defines it and as stored chains were written — JSON.stringify of an
 * object holding the fields in their fixed order, a missing one as null. The writer builds it as a string; a
 * single differing byte would break every chain written since, so it must agree on any record at all.
 */
function ordered(record: Readonly<Record<string, unknown>>, names: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(names.map((name) => [name, record[name] ?? null])));
}

const LEGACY_FIELDS = CHAINED_FIELDS.filter((name) => !['chain_id', 'seq', 'key_version', 'count'].includes(name));

/** Any text: quotes, backslashes, control characters, lone surrogates, astral characters. */
const text = fc.string({ unit: 'binary', maxLength: 40 });
const nullableText = fc.option(text, { nil: null });

const fields: fc.Arbitrary<AuditFields> = fc.record({
  at_ms: fc.integer({ min: 0, max: 8_640_000_000_000 }),
  event: fc.constantFrom('request', 'audio_url_issued'),
  request_id: text,
  key_id: nullableText,
  organization_id: nullableText,
  route_id: nullableText,
  method: fc.constantFrom('GET', 'HEAD'),
  status: fc.integer({ min: 100, max: 599 }),
  reason_code: nullableText,
  resource_ids: fc.array(text, { maxLength: 4 }).map((ids) => JSON.stringify(ids)),
  client_ip: nullableText,
  user_agent: nullableText,
  // Any double at all (NaN, ±Infinity and −0 included), although a stored latency is never one of those.
  latency_ms: fc.oneof(fc.double({ noNaN: true, min: 0, max: 1e7 }), fc.integer({ min: 0, max: 60_000 }), fc.double()),
  count: fc.integer({ min: 1, max: 1_000_000 }),
});

describe('the audit chain encoding', () => {
  it('hashes exactly HMAC(key, prev + "\\n" + the ordered JSON of the record), for any record', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fields, fc.integer({ min: 1, max: 2 ** 40 }), (record, seq) => {
        const placed = { ...record, chain_id: 'chn_test', seq, key_version: 3 };
        const expected = createHmac('sha256', key)
          .update(`${GENESIS_HASH}\n${ordered(placed, CHAINED_FIELDS)}`, 'utf8')
          .digest('hex');
        expect(chainHash(key, GENESIS_HASH, placed)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes the legacy chain exactly as SHA-256(prev + "\\n" + the ordered JSON of its fields)', () => {
    fc.assert(
      fc.property(fields, (record) => {
        const expected = createHash('sha256')
          .update(`${GENESIS_HASH}\n${ordered(record, LEGACY_FIELDS)}`, 'utf8')
          .digest('hex');
        expect(legacyHash(GENESIS_HASH, record)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('places records after the head: every field kept, seq counting on, each hash over the one before', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(
        fc.array(fields, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (records, at) => {
          const head = { seq: at, hash: at === 0 ? GENESIS_HASH : 'f'.repeat(64) };
          const placed = chainRecords('chn_test', head, 2, key, records);
          let previous = head.hash;
          placed.forEach((row, i) => {
            const unhashed = { ...records[i]!, chain_id: 'chn_test', seq: at + i + 1, key_version: 2 };
            const hash = createHmac('sha256', key)
              .update(`${previous}\n${ordered(unhashed, CHAINED_FIELDS)}`, 'utf8')
              .digest('hex');
            expect(row).toStrictEqual({ ...unhashed, prev_hash: previous, hash });
            previous = hash;
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
