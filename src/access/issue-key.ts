/** Issuing a key: the secret is generated, digested with the newest keyring version, and returned once. */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { KeyEnvironment } from '../config.js';
import type { Scope } from '../contract/routes.js';
import { type ApiKeyRow, insertKey } from '../store/api-keys.js';
import type { Database } from '../store/schema.js';
import { type Keyring, keyDigest, newestEntry } from './digest-keyring.js';
import { generateKey, parseKey } from './key-format.js';

export interface IssueKeyInput {
  environment: KeyEnvironment;
  organizationId: string | null;
  scopes: readonly Scope[];
  name: string;
  expiresAtMs: number | null;
  /** Requests per second; null = deployment default, 0 = unlimited. */
  rateLimitPerSecond: number | null;
}

export interface IssuedKey {
  row: ApiKeyRow;
  secret: string;
}

function newKeyId(): string {
  return `key_${randomBytes(12).toString('base64url')}`;
}

export async function issueKey(db: Kysely<Database>, keyring: Keyring, input: IssueKeyInput): Promise<IssuedKey> {
  const secret = generateKey(input.environment);
  const entry = newestEntry(keyring);
  const row: ApiKeyRow = {
    id: newKeyId(),
    digest: keyDigest(entry, secret),
    digest_key_version: entry.version,
    environment: input.environment,
    organization_id: input.organizationId,
    name: input.name,
    scopes: input.scopes.join(' '),
    status: 'active',
    expires_at_ms: input.expiresAtMs,
    created_at_ms: Date.now(),
    last_used_at_ms: null,
    rate_limit_per_second: input.rateLimitPerSecond,
    display_prefix: parseKey(secret)!.displayPrefix,
    state_version: 1,
  };
  await insertKey(db, row);
  return { row, secret };
}
