import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../../src/time.js';

/** The oracle: the platform's own ISO formatter, with the whole-second form the API uses. */
function viaDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

describe('formatTimestamp (calendar arithmetic)', () => {
  it('writes literal instants at the edges of the range, of eras, of leap days and of the epoch', () => {
    expect(formatTimestamp(EARLIEST)).toBe('0001-01-01T00:00:00Z');
    expect(formatTimestamp(LATEST)).toBe('9999-12-31T23:59:59.999Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00Z');
    expect(formatTimestamp(-1)).toBe('1969-12-31T23:59:59.999Z');
    expect(formatTimestamp(951_782_400_000)).toBe('2000-02-29T00:00:00Z');
    expect(formatTimestamp(Date.parse('1900-03-01T00:00:00.007Z'))).toBe('1900-03-01T00:00:00.007Z');
    expect(formatTimestamp(Date.parse('2024-12-31T23:59:59.050Z'))).toBe('2024-12-31T23:59:59.050Z');
    expect(formatTimestamp(Date.parse('0400-02-29T12:34:56.700Z'))).toBe('0400-02-29T12:34:56.700Z');
  });

  it('agrees with Date#toISOString on every instant of years 0001–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: EARLIEST, max: LATEST }), fc.boolean(), (ms, wholeSecond) => {
        const instant = wholeSecond ? ms - (((ms % 1000) + 1000) % 1000) : ms;
        expect(formatTimestamp(Math.max(instant, EARLIEST))).toBe(viaDate(Math.max(instant, EARLIEST)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees around every day boundary of a leap-year cycle', () => {
    const start = Date.parse('1999-12-31T00:00:00Z');
    for (let day = 0; day < 4 * 366; day++) {
      for (const offset of [-1, 0, 1, 999, 1000]) {
        const ms = start + day * 86_400_000 + offset;
        expect(formatTimestamp(ms)).toBe(viaDate(ms));
      }
    }
  });
});
