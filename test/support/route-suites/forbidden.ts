/**
 * → 403 (CONTRACT.md 2.1): step 10 of section 4 (organization scope, allowlist, route enablement, scopes) for every
 * route, and on the routes with an encounter in their path the encounter checks of step 12
 * (cross_organization_denied, demo_training_denied).
 */
import { describe, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import { insertOrganization } from '../../../src/store/organizations.js';
import { forbiddenAccessCases, sufficientScopeKeys } from '../access-cases.js';
import { expectError, expectOk } from '../expect-error.js';
import { addKey } from '../fixture.js';
import type { Harness } from '../harness.js';
import { auth, bearer, type KeyName, OK_URL, pathOf, pathsOf, type Target } from '../requests.js';
import { useHarness } from '../use-harness.js';

/** Paths whose encounter belongs to the other organization than the key's. */
const CROSS_ORGANIZATION: Array<[KeyName, Target[]]> = [
  ['full', [['enc_b1', 'doc_b1'], ['enc_b1', 'doc_unknown'], ['enc_b1']]],
  ['beta', [['enc_a1'], ['enc_demo', 'doc_demo'], ['enc_unavailable', 'doc_unavailable_enc']]],
];

/** Paths whose encounter is demo or training data. */
const DEMO_TRAINING: Target[] = [
  ['enc_demo', 'doc_demo'],
  ['enc_training', 'doc_training'],
  ['enc_demo', 'doc_unknown'],
  ['enc_training'],
];

export interface ForbiddenOptions {
  /** What the route serves a key with every scope it requires; by default what it serves the `full` key. */
  okBody?: unknown;
  /** The route's own cases at the head of "order of checks" (by default the detail routes' ones). */
  authorizationFirst?: (h: Harness) => void;
}

export function forbiddenSuite(route: RouteId, options: ForbiddenOptions = {}): void {
  const URL = OK_URL[route];
  const hasEncounter = route !== 'list_encounters';

  describe(`${route} → 403`, () => {
    const h = useHarness();

    it.each(forbiddenAccessCases(route))('$reason_code: $name', async ({ key, reason_code }) => {
      expectError(await h.get(URL, auth(h, key)), { reason_code });
    });

    it.each(sufficientScopeKeys(route))('serves the %s key (it has every scope the route requires)', async (key) => {
      const body = options.okBody ?? JSON.parse((await h.get(URL, auth(h))).body);
      expectOk(await h.get(URL, auth(h, key)), body);
    });

    if (hasEncounter) {
      describe('cross_organization_denied: the encounter in the path belongs to another organization', () => {
        const cases = CROSS_ORGANIZATION.flatMap(([key, targets]) =>
          pathsOf(route, targets).map((url) => [key, url] as const),
        );
        it.each(cases)('the %s key at %s', async (key, url) => {
          expectError(await h.get(url, auth(h, key)), { reason_code: 'cross_organization_denied' });
        });
      });

      describe('demo_training_denied: the encounter in the path is demo or training data', () => {
        it.each(pathsOf(route, DEMO_TRAINING))('%s', async (url) => {
          expectError(await h.get(url, auth(h)), { reason_code: 'demo_training_denied' });
        });
      });
    }

    describe('order of checks', () => {
      if (options.authorizationFirst) options.authorizationFirst(h);
      else detailAuthorizationFirst(route, h);

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

      it('an organization neither allowlisted nor with the route enabled gets organization_not_allowlisted (allowlist before route)', async () => {
        await insertOrganization(h.runtime.store.db, {
          id: `org_closed_${route}`,
          name: 'Closed Clinic',
          allowlisted: 0,
          api_keys_enabled: 1,
          rate_limit_per_second: 0,
          enabled_routes: '',
          state_version: 1,
          created_at_ms: Date.now(),
        });
        const key = await addKey(h.runtime, h.config, { organizationId: `org_closed_${route}` });
        expectError(await h.get(URL, bearer(key.secret)), { reason_code: 'organization_not_allowlisted' });
      });

      if (hasEncounter) {
        it('an unsupported query key on a cross-organization encounter is a 400 (the query before the resources)', async () => {
          expectError(await h.get(`${pathOf(route, 'enc_b1', 'doc_b1')}?x=1`, auth(h)), {
            reason_code: 'unsupported_filter',
            field: 'x',
          });
        });
      }
    });
  });
}

/** A detail route: authorization comes before the query and the resources. */
function detailAuthorizationFirst(route: RouteId, h: Harness): void {
  it.each([
    ['listOnly', 'route_not_allowed', `${OK_URL[route]}?x=1`],
    ['noRoutes', 'route_not_allowed', `${pathOf(route, 'enc_unknown', 'doc_unknown')}?x=1`],
    ['noOrg', 'org_scope_only_required', pathOf(route, 'enc_demo', 'doc_demo')],
    ['notAllowlisted', 'organization_not_allowlisted', pathOf(route, 'enc_b1', 'doc_b1')],
    ['noDocuments', 'missing_scope', `${pathOf(route, 'enc_b1', 'doc_b1')}?x=1`],
  ] as const)('the %s key gets %s at %s (authorization before query and resources)', async (key, reason_code, url) => {
    expectError(await h.get(url, auth(h, key)), { reason_code });
  });
}
