import { describe, expect, it } from 'vitest';
import { isValidObjectKey } from '../../../src/media/object-key.js';

/** Four 200-byte segments and a last one of `last` bytes: 1024 bytes in all when last is 220. */
function longKey(last: number): string {
  return [...Array(4).fill('k'.repeat(200)), 'k'.repeat(last)].join('/');
}

describe('isValidObjectKey', () => {
  it('accepts relative slash-separated names', () => {
    for (const key of [
      'a',
      'org_x/doc_y.wav',
      'org x/dóc (1).mp3',
      'a/b/c/d.e.f',
      'a..b/c',
      'k'.repeat(245),
      longKey(220),
    ]) {
      expect(isValidObjectKey(key)).toBe(true);
    }
  });

  it('rejects anything that could leave the folder or confuse a file name', () => {
    const bad: unknown[] = [
      '',
      '/abs/path.wav',
      '../x.wav',
      'a/../../x.wav',
      'a/..',
      'a/./b',
      '.',
      '.hidden',
      'a/.tmp-1-ff',
      'a//b',
      'a/',
      'a\\..\\b',
      'a\0b',
      'a\nb',
      'a\x7fb',
      'x.wav.meta.json',
      longKey(221),
      'k'.repeat(246),
      'é'.repeat(123),
      '\ud800',
      undefined,
      null,
      42,
      ['a'],
    ];
    for (const key of bad) expect(isValidObjectKey(key), JSON.stringify(key)).toBe(false);
  });
});
