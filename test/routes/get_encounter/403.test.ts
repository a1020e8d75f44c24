/** GET /external/v1/encounters/{encounter_id} → 403 (CONTRACT.md 2.1: step 10 of section 4, and the encounter checks of step 12). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { forbiddenAccessCases, sufficientScopeKeys } from '../../support/access-cases.js';
import { expectError, expectOk } from '../../support/expect-error.js';
import { addKey } from '../../support/fixture.js';
import { type Harness, startHarness } from '../../support/harness.js';
import { auth, bearer, OK_URL, pathOf } from '../../support/requests.js';

const ROUTE = 'get_encounter';
const URL = OK_URL[ROUTE];

describe('get_encounter → 403', () => {
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

  describe('cross_organization_denied: the encounter in the path belongs to another organization', () => {
    it.each([
      ['full', '/external/v1/encounters/enc_b1'],
      ['beta', '/external/v1/encounters/enc_a1'],
      ['beta', '/external/v1/encounters/enc_demo'],
      ['beta', '/external/v1/encounters/enc_unavailable'],
    ] as const)('the %s key at %s', async (key, url) => {
      expectError(await h.get(url, auth(h, key)), { reason_code: 'cross_organization_denied' });
    });
  });

  describe('demo_training_denied: the encounter in the path is demo or training data', () => {
    it.each(['/external/v1/encounters/enc_demo', '/external/v1/encounters/enc_training'])('%s', async (url) => {
      expectError(await h.get(url, auth(h)), { reason_code: 'demo_training_denied' });
    });
  });

  describe('order of checks', () => {
    it.each([
      ['listOnly', 'route_not_allowed', `${URL}?x=1`],
      ['noRoutes', 'route_not_allowed', `${pathOf(ROUTE, 'enc_unknown', 'doc_unknown')}?x=1`],
      ['noOrg', 'org_scope_only_required', pathOf(ROUTE, 'enc_demo', 'doc_demo')],
      ['notAllowlisted', 'organization_not_allowlisted', pathOf(ROUTE, 'enc_b1', 'doc_b1')],
      ['noDocuments', 'missing_scope', `${pathOf(ROUTE, 'enc_b1', 'doc_b1')}?x=1`],
    ] as const)(
      'the %s key gets %s at %s (authorization before query and resources)',
      async (key, reason_code, url) => {
        expectError(await h.get(url, auth(h, key)), { reason_code });
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

    it('an unsupported query key on a cross-organization encounter is a 400 (the query before the resources)', async () => {
      expectError(await h.get(`${pathOf(ROUTE, 'enc_b1', 'doc_b1')}?x=1`, auth(h)), {
        reason_code: 'unsupported_filter',
        field: 'x',
      });
    });
  });
});
