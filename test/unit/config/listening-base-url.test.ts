/** The media base URL once listening: only a defaulted base on PORT=0 takes the real port. */
import { describe, expect, it } from 'vitest';
import { listeningBaseUrl, loadConfig } from '../../../src/config.js';

describe('listeningBaseUrl', () => {
  it('PORT=0 without CHARTHERO_PUBLIC_BASE_URL: the port the server got', () => {
    expect(listeningBaseUrl(loadConfig({ PORT: '0' }), 43_210)).toBe('http://127.0.0.1:43210');
    expect(listeningBaseUrl(loadConfig({ PORT: '0', HOST: '::1' }), 43_210)).toBe('http://[::1]:43210');
  });

  it('a configured CHARTHERO_PUBLIC_BASE_URL is kept, on any port', () => {
    const env = { PORT: '0', CHARTHERO_PUBLIC_BASE_URL: 'https://api.example.com/charthero' };
    expect(listeningBaseUrl(loadConfig(env), 43_210)).toBe('https://api.example.com/charthero');
  });

  it('a fixed PORT keeps its default base URL', () => {
    expect(listeningBaseUrl(loadConfig({ PORT: '8081' }), 8081)).toBe('http://127.0.0.1:8081');
  });
});
