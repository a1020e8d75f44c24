/** Steps 3–8 of the order of checks: from a bearer token to a usable key and its organization. */
import type { Config } from '../config.js';
import { PublicError } from '../contract/errors.js';
import type { AccessDirectory } from './access-directory.js';
import type { Keyring } from './digest-keyring.js';
import { parseKey, TEST_KEY_PREFIX } from './key-format.js';
import type { KeyState, OrganizationState } from './key-state.js';

/** Step 3: the deployment's kill switch. */
export function requireDeploymentKeysEnabled(config: Pick<Config, 'apiKeysEnabled'>): void {
  if (!config.apiKeysEnabled) throw new PublicError('api_keys_disabled');
}

/** Steps 4 and 5: a test key at a production deployment, then the key format and checksum. */
export function requireWellFormedToken(token: string, config: Pick<Config, 'environment'>): void {
  if (config.environment === 'production' && token.startsWith(TEST_KEY_PREFIX)) {
    throw new PublicError('test_prefix_not_allowed');
  }
  if (!parseKey(token)) throw new PublicError('malformed_token');
}

/** Step 7, first half: the lookup. */
export async function requireKnownKey(directory: AccessDirectory, token: string, keyring: Keyring): Promise<KeyState> {
  const key = await directory.findKey(token, keyring);
  if (!key) throw new PublicError('invalid_key');
  return key;
}

/** Step 7, second half: revoked, disabled and expired, in that order. */
export function requireUsableKey(key: KeyState, nowMs: number): void {
  if (key.status === 'revoked') throw new PublicError('revoked_key');
  if (key.status !== 'active') throw new PublicError('disabled_key');
  if (key.expiresAtMs !== null && key.expiresAtMs <= nowMs) throw new PublicError('expired_key');
}

/** Step 8: the key's organization, which must not have API keys switched off. Null for keys without one. */
export async function requireKeyOrganization(
  directory: AccessDirectory,
  key: KeyState,
): Promise<OrganizationState | null> {
  if (key.organizationId === null) return null;
  const organization = await directory.findOrganization(key.organizationId);
  // The foreign key makes a missing organization impossible short of manual deletion: fail closed.
  if (!organization) throw new PublicError('organization_not_allowlisted');
  if (!organization.apiKeysEnabled) throw new PublicError('api_keys_disabled');
  return organization;
}
