/**
 * GET /external/v1/encounters/{encounter_id}/documents/{document_id} → 500 internal_error (CONTRACT.md 2.1): anything unexpected — here a table gone missing, as after a
 * botched migration. Logged with the request id; the body reveals nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectOk } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { breakTable } from '../../support/outage.js';
import { auth, OK_URL } from '../../support/requests.js';

const URL = OK_URL.get_document;
const TABLE = 'documents';

describe('get_document → 500 internal_error', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('an unexpected failure is a bare 500, logged with the request id', async () => {
    expect((await h.get(URL, auth(h))).statusCode).toBe(200);
    const restore = await breakTable(h, TABLE);
    let requestId: string;
    try {
      const response = await h.get(URL, { ...auth(h), 'x-request-id': 'req-500-get_document' });
      expectError(response, { reason_code: 'internal_error', rateLimitHeaders: true });
      requestId = response.headers['x-request-id'] as string;
      expect(requestId).toBe('req-500-get_document');
      expect(response.body).not.toContain(TABLE);
      expect(JSON.parse(response.body).message).toBe('An unexpected error occurred.');
    } finally {
      await restore();
    }
    const logged = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.reqId === requestId);
    expect(logged.some((entry) => entry.level === 50 && entry.msg === 'unexpected error')).toBe(true);
    expect(h.logs.join('\n')).not.toContain(h.fixture.keys.full.secret);

    const response = await h.get(URL, auth(h));
    expectOk(response, JSON.parse(response.body));
  });
});
