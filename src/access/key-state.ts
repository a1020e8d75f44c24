/** The cached view of a key and of an organization: what the access checks need, nothing secret. */

import type { ApiKeyRow } from '../store/api-keys.js';
import { enabledRoutes, type OrganizationRow } from '../store/organizations.js';

export interface KeyState {
  id: string;
  organizationId: string | null;
  scopes: ReadonlySet<string>;
  status: string;
  expiresAtMs: number | null;
  rateLimitPerSecond: number | null;
  /** The keyring version the key's digest was made with: the key stops verifying once that version is removed. */
  digestKeyVersion: number;
  version: number;
}

export interface OrganizationState {
  id: string;
  allowlisted: boolean;
  apiKeysEnabled: boolean;
  rateLimitPerSecond: number;
  enabledRoutes: ReadonlySet<string>;
  version: number;
}

export function keyState(row: ApiKeyRow): KeyState {
  return {
    id: row.id,
    organizationId: row.organization_id,
    scopes: new Set(row.scopes.split(' ').filter(Boolean)),
    status: row.status,
    expiresAtMs: row.expires_at_ms,
    rateLimitPerSecond: row.rate_limit_per_second,
    digestKeyVersion: row.digest_key_version,
    version: row.state_version,
  };
}

export function organizationState(row: OrganizationRow): OrganizationState {
  return {
    id: row.id,
    allowlisted: row.allowlisted === 1,
    apiKeysEnabled: row.api_keys_enabled === 1,
    rateLimitPerSecond: row.rate_limit_per_second,
    enabledRoutes: new Set(enabledRoutes(row)),
    version: row.state_version,
  };
}
