/**
 * GET /external/v1/encounters → 503 (CONTRACT.md 2.1): digest_key_unavailable when the keyring cannot be loaded (step 6),
 * datastore_unavailable when the database does not answer in time. Each carries Retry-After.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, expectOk } from '../../support/expect-error.js';
import { auth, OK_URL, sleep } from '../../support/requests.js';
import { unavailableSuite } from '../../support/route-suites/unavailable.js';
import { useHarness } from '../../support/use-harness.js';

const ROUTE = 'list_encounters';
const URL = OK_URL[ROUTE];

unavailableSuite(ROUTE);

describe('list_encounters → 503 digest_key_unavailable for a keyring that does not load', () => {
  describe('at production, a keyring file readable by group or others is refused', () => {
    const h = useHarness({ env: { CHARTHERO_ENVIRONMENT: 'production' } });
    beforeAll(() => {
      chmodSync(h.config.digestKeysFile, 0o640);
    });

    it('503 while the file is group-readable, served again after chmod 600', async () => {
      expectError(await h.get(URL, auth(h)), { reason_code: 'digest_key_unavailable' });
      chmodSync(h.config.digestKeysFile, 0o600);
      await sleep(1100);
      const response = await h.get(URL, auth(h));
      expectOk(response, expect.objectContaining({ offset: 0, sort_order: 'desc' }));
    });
  });

  describe('a keyring file that is not valid JSON', () => {
    const h = useHarness();
    beforeAll(() => {
      writeFileSync(h.config.digestKeysFile, '{"keys": [');
    });

    it('503 digest_key_unavailable', async () => {
      expectError(await h.get(URL, auth(h)), { reason_code: 'digest_key_unavailable' });
    });
  });
});
