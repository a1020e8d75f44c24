/**
 * → 401 (CONTRACT.md 2.1, steps 2–8 of section 4), the same for every route: the case tables of access-cases.ts at a
 * sandbox deployment, at a production deployment, and with API keys switched off for the deployment.
 */
import { describe, it } from 'vitest';
import type { RouteId } from '../../../src/contract/routes.js';
import {
  ACCEPTED_BEARER_FORMS,
  KEY_STATE_CASES,
  KILL_SWITCH_CASES,
  MALFORMED_TOKEN_CASES,
  MISSING_BEARER_CASES,
  PRODUCTION_CASES,
} from '../access-cases.js';
import { expectError, expectOk } from '../expect-error.js';
import { addKey } from '../fixture.js';
import type { Harness, HarnessOptions } from '../harness.js';
import { auth, BAD_QUERY, bearer, OK_URL, pathOf, send } from '../requests.js';
import { useHarness } from '../use-harness.js';

type Cases = (h: Harness) => void;

export interface UnauthorizedOptions {
  /** What the route serves a valid key; by default what it serves the `full` key in the canonical form. */
  okBody?: unknown;
  /** For the sandbox harness (e.g. a clock the route's own cases control). */
  sandboxHarness?: HarnessOptions;
  /** The route's own sandbox cases, after the shared ones (by default the detail routes' order of checks and HEAD). */
  sandbox?: Cases;
  /** The route's own cases at the production deployment, before and after the shared ones. */
  production?: { before?: Cases; after?: Cases };
}

export function unauthorizedSuite(route: RouteId, options: UnauthorizedOptions = {}): void {
  const URL = OK_URL[route];

  describe(`${route} → 401 (sandbox)`, () => {
    const h = useHarness(options.sandboxHarness);

    it.each(MISSING_BEARER_CASES)('missing_bearer: $name', async ({ headers }) => {
      expectError(await h.get(URL, headers(h)), { reason_code: 'missing_bearer' });
    });

    it.each(MALFORMED_TOKEN_CASES)('malformed_token: $name', async ({ headers }) => {
      expectError(await h.get(URL, headers(h)), { reason_code: 'malformed_token' });
    });

    it.each(KEY_STATE_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
      expectError(await h.get(URL, headers(h)), { reason_code });
    });

    it.each(ACCEPTED_BEARER_FORMS)('accepts a valid key with a $name', async ({ headers }) => {
      const body = options.okBody ?? JSON.parse((await h.get(URL, auth(h))).body);
      expectOk(await h.get(URL, headers(h)), body);
    });

    describe("order of checks: the key's state (step 7) before its organization's API-key switch (step 8)", () => {
      it.each([
        ['a revoked', 'revoked_key', { status: 'revoked' }],
        ['a disabled', 'disabled_key', { status: 'disabled' }],
        ['an expired', 'expired_key', { expiresAtMs: 1000 }],
      ] as const)('%s key of org_off (API keys switched off) gets %s', async (_state, reason_code, state) => {
        const key = await addKey(h.runtime, h.config, { organizationId: 'org_off', ...state });
        expectError(await h.get(URL, bearer(key.secret)), { reason_code });
      });
    });

    (options.sandbox ?? detailSandboxCases(route))(h);
  });

  describe(`${route} → 401 at a production deployment`, () => {
    const h = useHarness({ env: { CHARTHERO_ENVIRONMENT: 'production' } });

    options.production?.before?.(h);

    it.each(PRODUCTION_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
      expectError(await h.get(URL, headers(h)), { reason_code });
    });

    options.production?.after?.(h);
  });

  describe(`${route} → 401 with API keys switched off for the deployment`, () => {
    const h = useHarness({ env: { CHARTHERO_ENVIRONMENT: 'production', CHARTHERO_API_KEYS_ENABLED: 'false' } });

    it.each(KILL_SWITCH_CASES)('$reason_code: $name', async ({ headers, reason_code }) => {
      expectError(await h.get(`${URL}${BAD_QUERY[route]}`, headers(h)), { reason_code });
    });
  });
}

/** A detail route: authentication comes before the query and the resources; HEAD. */
function detailSandboxCases(route: RouteId): Cases {
  return (h) => {
    describe('order of checks: authentication comes before the query and the resources', () => {
      it.each([
        ['revoked', 'revoked_key', `${pathOf(route, 'enc_a1')}?x=1`],
        ['disabled', 'disabled_key', `${pathOf(route, 'enc_b1', 'doc_b1')}?x=1`],
        ['expired', 'expired_key', pathOf(route, 'enc_unknown', 'doc_unknown')],
        ['orgKeysOff', 'api_keys_disabled', `${pathOf(route, 'enc_demo', 'doc_demo')}?limit=0`],
      ] as const)('the %s key gets %s (at %s)', async (key, reason_code, url) => {
        expectError(await h.get(url, auth(h, key)), { reason_code });
      });

      it.each([
        ['no Authorization header', 'missing_bearer', {}],
        ['junk token', 'malformed_token', { authorization: 'Bearer junk' }],
      ] as const)('%s at an unknown encounter with a query gets %s', async (_name, reason_code, headers) => {
        expectError(await h.get(`${pathOf(route, 'enc_unknown', 'doc_unknown')}?x=1`, headers), { reason_code });
      });
    });

    it('HEAD without Authorization: 401 missing_bearer, headers and no body', async () => {
      expectError(await send(h, 'HEAD', OK_URL[route]), { reason_code: 'missing_bearer', head: true });
    });
  };
}
