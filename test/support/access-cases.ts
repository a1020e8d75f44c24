/**
 * The access checks of CONTRACT.md section 4 (steps 2–10) are the same for every route, so their case tables live
 * here and each route's 401/403 test file runs them against its own URL.
 */
import type { RouteId } from '../../src/contract/routes.js';
import type { Code } from './contract.js';
import type { Harness } from './harness.js';
import { makeToken, randomBody, withBadChecksum } from './keys.js';
import { bearer, type Headers, type KeyName } from './requests.js';

export interface AuthCase {
  name: string;
  headers: (h: Harness) => Headers;
  reason_code: Code;
}

const secret = (h: Harness, key: KeyName = 'full') => h.fixture.keys[key].secret;
const raw = (value: string) => () => ({ authorization: value });

/** Step 2: no usable bearer credentials at all. */
export const MISSING_BEARER_CASES: AuthCase[] = [
  { name: 'no Authorization header', headers: () => ({}), reason_code: 'missing_bearer' },
  { name: 'an empty Authorization header', headers: raw(''), reason_code: 'missing_bearer' },
  { name: 'the Basic scheme', headers: raw('Basic x'), reason_code: 'missing_bearer' },
  {
    name: 'the Basic scheme carrying a valid key',
    headers: (h) => ({ authorization: `Basic ${Buffer.from(`${secret(h)}:`).toString('base64')}` }),
    reason_code: 'missing_bearer',
  },
  {
    name: 'a Token scheme carrying a valid key',
    headers: (h) => ({ authorization: `Token ${secret(h)}` }),
    reason_code: 'missing_bearer',
  },
  {
    name: 'a valid key without any scheme',
    headers: (h) => ({ authorization: secret(h) }),
    reason_code: 'missing_bearer',
  },
  {
    name: 'a scheme that merely starts with Bearer',
    headers: (h) => ({ authorization: `BearerX ${secret(h)}` }),
    reason_code: 'missing_bearer',
  },
  { name: '"Bearer" with no token', headers: raw('Bearer'), reason_code: 'missing_bearer' },
  { name: '"Bearer" followed by spaces only', headers: raw('Bearer   '), reason_code: 'missing_bearer' },
  { name: '"Bearer" followed by a tab only', headers: raw('Bearer\t'), reason_code: 'missing_bearer' },
];

/** Steps 2 and 5: several Authorization headers, or a token that is not a well-formed key. */
export const MALFORMED_TOKEN_CASES: AuthCase[] = [
  {
    name: 'two Authorization headers, both with the valid key',
    headers: (h) => ({ authorization: [`Bearer ${secret(h)}`, `Bearer ${secret(h)}`] }),
    reason_code: 'malformed_token',
  },
  {
    name: 'two Authorization headers, a valid key and a Basic one',
    headers: (h) => ({ authorization: [`Bearer ${secret(h)}`, 'Basic x'] }),
    reason_code: 'malformed_token',
  },
  {
    name: 'two Authorization headers, the second empty',
    headers: (h) => ({ authorization: [`Bearer ${secret(h)}`, ''] }),
    reason_code: 'malformed_token',
  },
  { name: 'junk', headers: raw('Bearer abc'), reason_code: 'malformed_token' },
  {
    name: 'the valid key minus its last character (wrong length)',
    headers: (h) => bearer(secret(h).slice(0, -1)),
    reason_code: 'malformed_token',
  },
  {
    name: 'the valid key plus one character (wrong length)',
    headers: (h) => bearer(`${secret(h)}A`),
    reason_code: 'malformed_token',
  },
  {
    name: 'the valid key with a wrong checksum',
    headers: (h) => bearer(withBadChecksum(secret(h))),
    reason_code: 'malformed_token',
  },
  {
    name: 'the valid key with one body character changed (checksum no longer holds)',
    headers: (h) => {
      const token = secret(h);
      const i = 'ch_sk_test_'.length + 5;
      return bearer(token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1));
    },
    reason_code: 'malformed_token',
  },
  {
    name: 'a wrong prefix with a valid checksum (ch_pk_)',
    headers: () => {
      const token = makeToken('test');
      return bearer(`ch_pk_${token.slice('ch_sk_'.length)}`);
    },
    reason_code: 'malformed_token',
  },
  {
    name: 'an unknown environment (ch_sk_prod_)',
    headers: () => bearer(makeToken('prod')),
    reason_code: 'malformed_token',
  },
  {
    name: 'an upper-case prefix',
    headers: () => bearer(makeToken('test').replace('ch_sk_test_', 'CH_SK_TEST_')),
    reason_code: 'malformed_token',
  },
  {
    name: 'a 31-character body with a valid checksum',
    headers: () => bearer(makeToken('test', randomBody(31))),
    reason_code: 'malformed_token',
  },
  {
    name: 'a 33-character body with a valid checksum',
    headers: () => bearer(makeToken('test', randomBody(33))),
    reason_code: 'malformed_token',
  },
  {
    name: 'a body with a non-base62 character and a valid checksum',
    headers: () => bearer(makeToken('test', `${randomBody(31)}-`)),
    reason_code: 'malformed_token',
  },
  {
    name: 'two tokens separated by a space',
    headers: (h) => ({ authorization: `Bearer ${secret(h)} ${secret(h)}` }),
    reason_code: 'malformed_token',
  },
  {
    name: '"Bearer Bearer <key>"',
    headers: (h) => ({ authorization: `Bearer Bearer ${secret(h)}` }),
    reason_code: 'malformed_token',
  },
];

/** Steps 7 and 8 in a sandbox: well-formed keys that cannot be used. */
export const KEY_STATE_CASES: AuthCase[] = [
  {
    name: 'a well-formed test key nobody issued',
    headers: () => bearer(makeToken('test')),
    reason_code: 'invalid_key',
  },
  {
    name: 'a live key at a sandbox deployment (never recognized there)',
    headers: () => bearer(makeToken('live')),
    reason_code: 'invalid_key',
  },
  {
    name: 'a live key issued in this database, at a sandbox deployment',
    headers: (h) => bearer(secret(h, 'otherEnvironment')),
    reason_code: 'invalid_key',
  },
  { name: 'a revoked key', headers: (h) => bearer(secret(h, 'revoked')), reason_code: 'revoked_key' },
  { name: 'a disabled key', headers: (h) => bearer(secret(h, 'disabled')), reason_code: 'disabled_key' },
  { name: 'an expired key', headers: (h) => bearer(secret(h, 'expired')), reason_code: 'expired_key' },
  {
    name: 'a key whose organization has API keys switched off (org_off)',
    headers: (h) => bearer(secret(h, 'orgKeysOff')),
    reason_code: 'api_keys_disabled',
  },
];

/** Step 4 at a production deployment (CHARTHERO_ENVIRONMENT=production), and its neighbours. */
export const PRODUCTION_CASES: AuthCase[] = [
  {
    name: 'a well-formed test key',
    headers: () => bearer(makeToken('test')),
    reason_code: 'test_prefix_not_allowed',
  },
  {
    name: 'a test key issued in this database',
    headers: (h) => bearer(secret(h, 'otherEnvironment')),
    reason_code: 'test_prefix_not_allowed',
  },
  {
    name: 'a test-prefixed token that is not even well-formed (step 4 before step 5)',
    headers: raw('Bearer ch_sk_test_x'),
    reason_code: 'test_prefix_not_allowed',
  },
  {
    name: 'a well-formed live key nobody issued',
    headers: () => bearer(makeToken('live')),
    reason_code: 'invalid_key',
  },
  { name: 'a malformed live-prefixed token', headers: raw('Bearer ch_sk_live_x'), reason_code: 'malformed_token' },
  { name: 'a revoked live key', headers: (h) => bearer(secret(h, 'revoked')), reason_code: 'revoked_key' },
];

/** Step 3: the deployment kill switch (CHARTHERO_API_KEYS_ENABLED=false), here at a production deployment. */
export const KILL_SWITCH_CASES: AuthCase[] = [
  { name: 'a valid key', headers: (h) => bearer(secret(h)), reason_code: 'api_keys_disabled' },
  { name: 'a revoked key', headers: (h) => bearer(secret(h, 'revoked')), reason_code: 'api_keys_disabled' },
  {
    name: 'a test key at production (step 3 before step 4)',
    headers: () => bearer(makeToken('test')),
    reason_code: 'api_keys_disabled',
  },
  { name: 'junk (step 3 before step 5)', headers: raw('Bearer abc'), reason_code: 'api_keys_disabled' },
  { name: 'no Authorization header (step 2 first)', headers: () => ({}), reason_code: 'missing_bearer' },
  {
    name: 'two Authorization headers (step 2 first)',
    headers: (h) => ({ authorization: [`Bearer ${secret(h)}`, `Bearer ${secret(h)}`] }),
    reason_code: 'malformed_token',
  },
];

/** Forms of a valid credential that must be accepted (the scheme is case-insensitive, whitespace around is OK). */
export const ACCEPTED_BEARER_FORMS: Array<{ name: string; headers: (h: Harness) => Headers }> = [
  { name: 'lower-case scheme', headers: (h) => ({ authorization: `bearer ${secret(h)}` }) },
  { name: 'upper-case scheme', headers: (h) => ({ authorization: `BEARER ${secret(h)}` }) },
  { name: 'several spaces after the scheme', headers: (h) => ({ authorization: `Bearer    ${secret(h)}` }) },
  { name: 'trailing whitespace', headers: (h) => ({ authorization: `Bearer ${secret(h)}  ` }) },
];

export interface ForbiddenCase {
  name: string;
  key: KeyName;
  reason_code: Code;
}

/** Step 10 for `route`: organization scope, allowlist, route enablement, scopes. */
export function forbiddenAccessCases(route: RouteId): ForbiddenCase[] {
  const cases: ForbiddenCase[] = [
    { name: 'a key with no organization', key: 'noOrg', reason_code: 'org_scope_only_required' },
    {
      name: 'an organization not allowlisted (org_gamma)',
      key: 'notAllowlisted',
      reason_code: 'organization_not_allowlisted',
    },
    { name: 'an organization with no route enabled (org_none)', key: 'noRoutes', reason_code: 'route_not_allowed' },
    { name: 'a key without documents:read', key: 'noDocuments', reason_code: 'missing_scope' },
  ];
  if (route !== 'list_encounters') {
    cases.push({
      name: 'an organization with only list_encounters enabled (org_delta)',
      key: 'listOnly',
      reason_code: 'route_not_allowed',
    });
  }
  if (route === 'list_encounters' || route === 'get_encounter') {
    cases.push({ name: 'a key without patients:read', key: 'noPatients', reason_code: 'missing_scope' });
  }
  if (route === 'get_audio_url') {
    cases.push({ name: 'a key without recordings:read', key: 'noRecordings', reason_code: 'missing_scope' });
  }
  return cases;
}

/** Keys that lack a scope this route does not require: they must be served. */
export function sufficientScopeKeys(route: RouteId): KeyName[] {
  const keys: KeyName[] = [];
  if (route !== 'get_audio_url') keys.push('noRecordings');
  if (route !== 'list_encounters' && route !== 'get_encounter') keys.push('noPatients');
  return keys;
}
