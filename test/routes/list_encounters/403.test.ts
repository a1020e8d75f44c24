/** GET /external/v1/encounters → 403 (CONTRACT.md 2.1, step 10 of section 4). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { forbiddenAccessCases, sufficientScopeKeys } from '../../support/access-cases.js';
import { expectError, expectOk } from '../../support/expect-error.js';
import { addKey } from '../../support/fixture.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, bearer, OK_URL } from '../../support/requests.js';

const ROUTE = 'list_encounters';
const URL = OK_URL[ROUTE];

describe('list_encounters → 403', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it.each(forbiddenAccessCases(ROUTE))('$reason_code: $name', async ({ key, reason_code }) => {
    expectError(await h.get(URL, auth(h, key)), { reason_code });
  });

  it.each(sufficientScopeKeys(ROUTE))('serves the %s key (it has every scope the route requires)', async (key) => {
    const canonical = await h.get(URL, auth(h));
    expectOk(await h.get(URL, auth(h, key)), JSON.parse(canonical.body));
  });

  describe('order of checks', () => {
    it.each([
      ['noOrg', 'org_scope_only_required', '?limit=0'],
      ['notAllowlisted', 'organization_not_allowlisted', '?x=1'],
      ['noRoutes', 'route_not_allowed', '?limit=0&x=1'],
      ['noDocuments', 'missing_scope', '?sort_order=up'],
    ] as const)(
      'the %s key with a bad query gets %s (authorization before the query)',
      async (key, reason_code, query) => {
        expectError(await h.get(`${URL}${query}`, auth(h, key)), { reason_code });
      },
    );

    it.each([
      [null, 'org_scope_only_required'],
      ['org_gamma', 'organization_not_allowlisted'],
      ['org_none', 'route_not_allowed'],
    ] as const)(
      'a key of organization %s without any scope gets %s (scopes are checked last)',
      async (organizationId, reason_code) => {
        const key = await addKey(h.runtime, h.config, { organizationId, scopes: [] });
        expectError(await h.get(URL, bearer(key.secret)), { reason_code });
      },
    );
  });
});
