import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/http/media-route.js';

describe('parseRange', () => {
  const size = 100;

  it('serves the whole object without a usable single range', () => {
    for (const header of [
      undefined,
      '',
      'bytes=',
      'items=0-1',
      'bytes=0-1,5-6',
      'bytes=5-2',
      'bytes=a-b',
      'bytes=--1',
      'bytes=1',
    ]) {
      expect(parseRange(header, size), String(header)).toEqual({ kind: 'full' });
    }
  });

  it('parses first-last, open-ended and suffix ranges', () => {
    expect(parseRange('bytes=0-9', size)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=10-', size)).toEqual({ kind: 'partial', start: 10, end: 99 });
    expect(parseRange('bytes=-5', size)).toEqual({ kind: 'partial', start: 95, end: 99 });
    expect(parseRange('BYTES = 99-99', size)).toEqual({ kind: 'partial', start: 99, end: 99 });
  });

  it('clamps to the object', () => {
    expect(parseRange('bytes=90-1000', size)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-1000', size)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=0-99999999999999999999999', size)).toEqual({ kind: 'partial', start: 0, end: 99 });
  });

  it('ignores unsatisfiable ranges (the whole object is served)', () => {
    for (const header of ['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=99999999999999999999-']) {
      expect(parseRange(header, size), header).toEqual({ kind: 'full' });
    }
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'full' });
  });
});
