/**
 * Key lookups and encounter reads asked for in one turn of the event loop share statements
 * (src/store/coalesced.ts). Sent all at once to a server whose key cache is cold, every request — valid keys of
 * two organizations, on their own and on each other's encounters, keys refused for their state or their
 * environment, keys nobody issued — gets exactly the answer it gets when it is sent alone.
 */
import { describe, expect, it } from 'vitest';
import { KEY_STATE_CASES } from '../support/access-cases.js';
import type { Headers } from '../support/requests.js';
import { useHarness } from '../support/use-harness.js';

const ENCOUNTERS = '/external/v1/encounters';
const URLS = [
  `${ENCOUNTERS}/enc_a1`,
  `${ENCOUNTERS}/enc_b1`,
  `${ENCOUNTERS}/enc_missing`,
  `${ENCOUNTERS}/enc_b1/documents/doc_b1`,
  `${ENCOUNTERS}/enc_a1/documents/doc_b1`,
];

describe('requests sent all at once', () => {
  const h = useHarness();

  it('each get the answer they get alone, from a cold key cache', async () => {
    const callers: Headers[] = [
      { authorization: `Bearer ${h.fixture.keys.full.secret}` },
      { authorization: `Bearer ${h.fixture.keys.beta.secret}` },
      ...KEY_STATE_CASES.map((c) => c.headers(h)),
    ];
    const requests = [1, 2, 3].flatMap(() => callers.flatMap((headers) => URLS.map((url) => ({ url, headers }))));

    const together = await Promise.all(requests.map(({ url, headers }) => h.get(url, headers)));
    const statuses = new Set(together.map((response) => response.statusCode));
    // The batch holds disclosures, refusals of every kind and cross-organization denials.
    expect([...statuses].sort()).toEqual([200, 401, 403, 404]);
    for (const [i, { url, headers }] of requests.entries()) {
      const alone = await h.get(url, headers);
      expect({ url, statusCode: together[i]!.statusCode, body: together[i]!.body }).toEqual({
        url,
        statusCode: alone.statusCode,
        body: alone.body,
      });
    }
  });
});
