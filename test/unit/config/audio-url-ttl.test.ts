/** CONTRACT.md section 9: CHARTHERO_AUDIO_URL_TTL_SECONDS defaults to 900 and accepts 60–3600, nothing else. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

const ttl = (value?: string) =>
  loadConfig(value === undefined ? {} : { CHARTHERO_AUDIO_URL_TTL_SECONDS: value }).audioUrlTtlSeconds;

describe('CHARTHERO_AUDIO_URL_TTL_SECONDS', () => {
  it.each([
    [undefined, 900],
    ['', 900],
    ['60', 60],
    ['61', 61],
    ['900', 900],
    ['3599', 3599],
    ['3600', 3600],
  ])('%j → %d seconds', (value, seconds) => {
    expect(ttl(value)).toBe(seconds);
  });

  it.each(['59', '3601', '0', '1', '86400', '-60', '060', '60.0', '6e1', ' 60', 'ten', '99999999999999999999'])(
    'refuses %j with the variable, the bounds and the value',
    (value) => {
      expect(() => ttl(value)).toThrow(
        `CHARTHERO_AUDIO_URL_TTL_SECONDS: must be an integer from 60 to 3600 (got ${JSON.stringify(value)})`,
      );
    },
  );
});
