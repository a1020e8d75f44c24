/**
 * The variables of docs/limits.md: CHARTHERO_AUTH_FAILURE_LIMIT (default 20, 0 = off), CHARTHERO_TRUST_PROXY
 * (unset, a hop count, or addresses and CIDRs) and CHARTHERO_MAX_CONNECTIONS (default 10 000). A bad value names
 * the variable.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

function refused(env: Record<string, string>, message: string) {
  const load = () => loadConfig(env);
  expect(load).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  expect(load).toThrow(message);
}

describe('CHARTHERO_AUTH_FAILURE_LIMIT', () => {
  it('defaults to 20 (unset or empty); 0 turns the throttle off', () => {
    expect(loadConfig({}).authFailureLimit).toBe(20);
    expect(loadConfig({ CHARTHERO_AUTH_FAILURE_LIMIT: '' }).authFailureLimit).toBe(20);
    expect(loadConfig({ CHARTHERO_AUTH_FAILURE_LIMIT: '0' }).authFailureLimit).toBe(0);
    expect(loadConfig({ CHARTHERO_AUTH_FAILURE_LIMIT: '1000' }).authFailureLimit).toBe(1000);
  });

  it.each(['-1', '2.5', 'twenty', '020', '1001'])('refuses %j', (value) => {
    refused(
      { CHARTHERO_AUTH_FAILURE_LIMIT: value },
      `CHARTHERO_AUTH_FAILURE_LIMIT: must be an integer from 0 to 1000 (got ${JSON.stringify(value)})`,
    );
  });
});

describe('CHARTHERO_TRUST_PROXY', () => {
  it('is off by default: X-Forwarded-For is never believed', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ CHARTHERO_TRUST_PROXY: '' }).trustProxy).toBeUndefined();
  });

  it('takes a hop count from 1 to 32', () => {
    expect(loadConfig({ CHARTHERO_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ CHARTHERO_TRUST_PROXY: '32' }).trustProxy).toBe(32);
    refused({ CHARTHERO_TRUST_PROXY: '0' }, 'CHARTHERO_TRUST_PROXY: must be an integer from 1 to 32 (got "0")');
    refused({ CHARTHERO_TRUST_PROXY: '33' }, 'CHARTHERO_TRUST_PROXY: must be an integer from 1 to 32 (got "33")');
  });

  it('takes comma-separated IPv4 and IPv6 addresses and CIDRs', () => {
    expect(loadConfig({ CHARTHERO_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1,fd00::/8,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      'fd00::/8',
      '::1',
    ]);
  });

  it.each([
    'true',
    'loopback',
    '10.0.0.0/33',
    '10.0.0',
    '10.0.0/8',
    '0x0a.0.0.1',
    '010.0.0.1',
    '10.0.0.1,',
    '*',
    '1.2.3.4/8x',
    '1.2.3.4/08',
    '::1/129',
    '1.2.3.4/8/8',
  ])('refuses %j', (value) => {
    refused(
      { CHARTHERO_TRUST_PROXY: value },
      `CHARTHERO_TRUST_PROXY: must be a hop count from 1 to 32 or comma-separated IP addresses and CIDRs (got ${JSON.stringify(value)})`,
    );
  });
});

describe('CHARTHERO_MAX_CONNECTIONS', () => {
  it('defaults to 10 000', () => {
    expect(loadConfig({}).maxConnections).toBe(10_000);
    expect(loadConfig({ CHARTHERO_MAX_CONNECTIONS: '2' }).maxConnections).toBe(2);
  });

  it.each(['0', '-5', 'many'])('refuses %j', (value) => {
    refused(
      { CHARTHERO_MAX_CONNECTIONS: value },
      `CHARTHERO_MAX_CONNECTIONS: must be an integer from 1 to 1000000 (got ${JSON.stringify(value)})`,
    );
  });
});
