/** CHARTHERO_DATABASE_POOL_SIZE (CONTRACT.md section 9): 1–100, default 10; a bad value names the variable. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

describe('CHARTHERO_DATABASE_POOL_SIZE', () => {
  it('defaults to 10 (unset or empty)', () => {
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(loadConfig({ CHARTHERO_DATABASE_POOL_SIZE: '' }).databasePoolSize).toBe(10);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['100', 100],
  ])('accepts %s', (value, expected) => {
    expect(loadConfig({ CHARTHERO_DATABASE_POOL_SIZE: value }).databasePoolSize).toBe(expected);
  });

  it.each(['0', '101', '-1', '10.5', '1e1', '010', ' 10', 'ten', '0x0a'])(
    'refuses %j, naming the variable',
    (value) => {
      const load = () => loadConfig({ CHARTHERO_DATABASE_POOL_SIZE: value });
      expect(load).toThrow(expect.objectContaining({ name: 'ConfigError' }));
      expect(load).toThrow(
        `CHARTHERO_DATABASE_POOL_SIZE: must be an integer from 1 to 100 (got ${JSON.stringify(value)})`,
      );
    },
  );
});
