/**
 * Steps 3–8 and 10 of docs/order-of-checks.md, one function at a time, on plain values: each check, its order
 * within its step, and its boundaries. (The route suites pin the same order end to end; these are fast enough for
 * the mutation run.)
 */
import { describe, expect, it } from 'vitest';
import type { AccessDirectory } from '../../../src/access/access-directory.js';
import {
  requireDeploymentKeysEnabled,
  requireKeyOrganization,
  requireKnownKey,
  requireUsableKey,
  requireWellFormedToken,
} from '../../../src/access/authenticate.js';
import { requireRouteAccess } from '../../../src/access/authorize.js';
import type { Keyring } from '../../../src/access/digest-keyring.js';
import type { KeyState, OrganizationState } from '../../../src/access/key-state.js';
import { PublicError } from '../../../src/contract/errors.js';
import { makeToken, withBadChecksum } from '../../support/keys.js';

const NOW = Date.UTC(2026, 11, 1);

function key(overrides: Partial<KeyState> = {}): KeyState {
  return {
    id: 'key_1',
    organizationId: 'org_a',
    scopes: new Set(['encounters:read', 'documents:read']),
    status: 'active',
    expiresAtMs: null,
    rateLimitPerSecond: null,
    digestKeyVersion: 1,
    version: 1,
    ...overrides,
  };
}

function organization(overrides: Partial<OrganizationState> = {}): OrganizationState {
  return {
    id: 'org_a',
    allowlisted: true,
    apiKeysEnabled: true,
    rateLimitPerSecond: 0,
    enabledRoutes: new Set(['get_encounter']),
    version: 1,
    ...overrides,
  };
}

/** The code a call throws (a PublicError), or null when it returns. */
async function codeOf(call: () => unknown): Promise<string | null> {
  try {
    await call();
    return null;
  } catch (error) {
    if (!(error instanceof PublicError)) throw error;
    return error.code;
  }
}

function directory(found: { key?: KeyState | null; organization?: OrganizationState | null }): AccessDirectory {
  return {
    findKey: async () => found.key ?? null,
    findOrganization: async () => found.organization ?? null,
  } as unknown as AccessDirectory;
}

describe('step 3: the deployment kill switch', () => {
  it('refuses when keys are off, passes when on', async () => {
    expect(await codeOf(() => requireDeploymentKeysEnabled({ apiKeysEnabled: false }))).toBe('api_keys_disabled');
    expect(await codeOf(() => requireDeploymentKeysEnabled({ apiKeysEnabled: true }))).toBeNull();
  });
});

describe('steps 4–5: test prefix, then format and checksum', () => {
  it('refuses a test key at a production deployment before looking at its format', async () => {
    const production = { environment: 'production' as const };
    expect(await codeOf(() => requireWellFormedToken(makeToken('test'), production))).toBe('test_prefix_not_allowed');
    // Even a malformed test key: the prefix decides first.
    expect(await codeOf(() => requireWellFormedToken('ch_sk_test_x', production))).toBe('test_prefix_not_allowed');
    expect(await codeOf(() => requireWellFormedToken(makeToken('live'), production))).toBeNull();
  });

  it('accepts test keys in the sandbox and refuses a bad checksum or a body of the wrong length', async () => {
    const sandbox = { environment: 'sandbox' as const };
    expect(await codeOf(() => requireWellFormedToken(makeToken('test'), sandbox))).toBeNull();
    expect(await codeOf(() => requireWellFormedToken(withBadChecksum(makeToken('test')), sandbox))).toBe(
      'malformed_token',
    );
    expect(await codeOf(() => requireWellFormedToken(makeToken('test', 'a'.repeat(33)), sandbox))).toBe(
      'malformed_token',
    );
  });
});

describe('step 7: lookup, then revoked, disabled, expired — in that order', () => {
  const ring = {} as Keyring;

  it('answers invalid_key when the directory knows no such key', async () => {
    expect(await codeOf(() => requireKnownKey(directory({ key: null }), makeToken('test'), ring))).toBe('invalid_key');
    const found = key();
    await expect(requireKnownKey(directory({ key: found }), makeToken('test'), ring)).resolves.toBe(found);
  });

  it('checks revoked before disabled before expired', async () => {
    const past = NOW - 1;
    expect(await codeOf(() => requireUsableKey(key({ status: 'revoked', expiresAtMs: past }), NOW))).toBe(
      'revoked_key',
    );
    expect(await codeOf(() => requireUsableKey(key({ status: 'disabled', expiresAtMs: past }), NOW))).toBe(
      'disabled_key',
    );
    expect(await codeOf(() => requireUsableKey(key({ expiresAtMs: past }), NOW))).toBe('expired_key');
  });

  it('treats any status but active as disabled, and expiry as inclusive of its instant', async () => {
    expect(await codeOf(() => requireUsableKey(key({ status: 'suspended' }), NOW))).toBe('disabled_key');
    expect(await codeOf(() => requireUsableKey(key({ expiresAtMs: NOW }), NOW))).toBe('expired_key');
    expect(await codeOf(() => requireUsableKey(key({ expiresAtMs: NOW + 1 }), NOW))).toBeNull();
    expect(await codeOf(() => requireUsableKey(key({ expiresAtMs: null }), NOW))).toBeNull();
  });
});

describe("step 8: the key's organization", () => {
  it('is null for a key without one, without a lookup', async () => {
    const lookups: string[] = [];
    const counting = {
      findOrganization: async (id: string) => {
        lookups.push(id);
        return organization();
      },
    } as unknown as AccessDirectory;
    await expect(requireKeyOrganization(counting, key({ organizationId: null }))).resolves.toBeNull();
    expect(lookups).toEqual([]);
  });

  it('fails closed when the organization is missing, and refuses when its keys are switched off', async () => {
    expect(await codeOf(() => requireKeyOrganization(directory({ organization: null }), key()))).toBe(
      'organization_not_allowlisted',
    );
    const off = organization({ apiKeysEnabled: false, allowlisted: false });
    expect(await codeOf(() => requireKeyOrganization(directory({ organization: off }), key()))).toBe(
      'api_keys_disabled',
    );
    const on = organization();
    await expect(requireKeyOrganization(directory({ organization: on }), key())).resolves.toBe(on);
  });
});

describe('step 10: organization scope, allowlist, route, then scopes', () => {
  const route = { id: 'get_encounter', scopes: ['encounters:read', 'documents:read'] } as const;
  const noScopes = key({ scopes: new Set() });

  it('checks in that order: each failure wins over every later one', async () => {
    expect(await codeOf(() => requireRouteAccess(route, noScopes, null))).toBe('org_scope_only_required');
    const closed = organization({ allowlisted: false, enabledRoutes: new Set() });
    expect(await codeOf(() => requireRouteAccess(route, noScopes, closed))).toBe('organization_not_allowlisted');
    const noRoute = organization({ enabledRoutes: new Set(['list_encounters']) });
    expect(await codeOf(() => requireRouteAccess(route, noScopes, noRoute))).toBe('route_not_allowed');
    expect(await codeOf(() => requireRouteAccess(route, noScopes, organization()))).toBe('missing_scope');
  });

  it('needs every scope of the route, not just one', async () => {
    const one = key({ scopes: new Set(['encounters:read']) });
    expect(await codeOf(() => requireRouteAccess(route, one, organization()))).toBe('missing_scope');
    const org = organization();
    expect(requireRouteAccess(route, key(), org)).toBe(org);
  });
});
