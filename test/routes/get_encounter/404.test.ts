/** GET /external/v1/encounters/{encounter_id} → 404 (CONTRACT.md 2.1 and section 6: a path id of any shape that is not found is a 404). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, oddIds, pathOf } from '../../support/requests.js';

const ROUTE = 'get_encounter';

describe('get_encounter → 404', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  describe('encounter_not_found: no such encounter, or it is not available', () => {
    it.each(['/external/v1/encounters/enc_unknown', '/external/v1/encounters/enc_unavailable'])('%s', async (path) => {
      expectError(await h.get(path, auth(h)), { reason_code: 'encounter_not_found' });
    });

    it.each(oddIds('enc_a1'))('an encounter id that is %s (%s)', async (_name, id) => {
      expectError(await h.get(pathOf(ROUTE, id), auth(h)), { reason_code: 'encounter_not_found' });
    });
  });
});
