/** What an endpoint URL may be (docs/webhooks.md), checked when an operator adds one. */
import type { DeploymentEnvironment } from '../config.js';

const MAX_URL_LENGTH = 2048;

/** The normalized URL, or a sentence saying what is wrong with it. */
export function checkEndpointUrl(
  text: string,
  environment: DeploymentEnvironment,
): { ok: true; url: string } | { ok: false; problem: string } {
  if (text.length > MAX_URL_LENGTH) return { ok: false, problem: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: 'must be an absolute URL' };
  }
  const schemes = environment === 'production' ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) {
    return {
      ok: false,
      problem:
        environment === 'production'
          ? 'must be an https:// URL (a production deployment refuses http://)'
          : 'must be an https:// or http:// URL',
    };
  }
  if (url.username !== '' || url.password !== '')
    return { ok: false, problem: 'must not contain user-info (user:password@)' };
  if (url.hash !== '') return { ok: false, problem: 'must not contain a fragment (#…)' };
  return { ok: true, url: url.toString() };
}
