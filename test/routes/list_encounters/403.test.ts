/** GET /external/v1/encounters → 403 (CONTRACT.md 2.1, step 10 of section 4). */
import { it } from 'vitest';
import { expectError } from '../../support/expect-error.js';
import { auth, OK_URL } from '../../support/requests.js';
import { forbiddenSuite } from '../../support/route-suites/forbidden.js';

const URL = OK_URL.list_encounters;

forbiddenSuite('list_encounters', {
  authorizationFirst: (h) => {
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
  },
});
