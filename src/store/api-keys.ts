/** API key records. Only digests are stored; the secret is shown once, at creation. */
import type { Kysely, Selectable } from 'kysely';
import { insertWithChange, writeWithChange } from './change-feed.js';
import { coalescedLookup } from './coalesced.js';
import { inListQuery, placeholders } from './compiled.js';
import type { ApiKeysTable, Database } from './schema.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type KeyStatus = 'active' | 'disabled' | 'revoked';

const keysByDigest = coalescedLookup(
  inListQuery<ApiKeyRow>((db, count) =>
    db.selectFrom('api_keys').selectAll().where('digest', 'in', placeholders(count)),
  ),
  (row) => row.digest,
);

/**
 * The key with one of these digests (one per keyring version) in this environment. The digest column is unique, so
 * each digest is one index probe, read with the other lookups of this turn (src/store/coalesced.ts): the misses of
 * an invalid-key storm share statements.
 */
export async function findKeyByDigests(
  db: Kysely<Database>,
  digests: readonly string[],
  environment: string,
): Promise<ApiKeyRow | undefined> {
  const rows = await Promise.all(digests.map((digest) => keysByDigest.find(db, digest)));
  return rows.find((row) => row !== undefined && row.environment === environment);
}

export async function findKeyById(db: Kysely<Database>, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listKeys(db: Kysely<Database>, organizationId?: string): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').selectAll().orderBy('created_at_ms').orderBy('id');
  if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId);
  return query.execute();
}

export async function insertKey(db: Kysely<Database>, row: ApiKeyRow): Promise<void> {
  await insertWithChange(db, 'key', row);
}

export async function setKeyStatus(db: Kysely<Database>, id: string, status: KeyStatus): Promise<boolean> {
  return writeWithChange(db, 'key', id, async (trx) => {
    const current = await trx.selectFrom('api_keys').select('status').where('id', '=', id).executeTakeFirst();
    if (!current) return false;
    // Revocation is permanent: a revoked key is never re-enabled or merely disabled.
    if (current.status === 'revoked' && status !== 'revoked') throw new Error(`key ${id} is revoked (permanent)`);
    await trx
      .updateTable('api_keys')
      .set((eb) => ({ status, state_version: eb('state_version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    return true;
  });
}

/** Batched last-used timestamps, written off the request path. */
export async function touchKeys(db: Kysely<Database>, lastUsed: ReadonlyMap<string, number>): Promise<void> {
  for (const [id, at] of lastUsed) {
    await db.updateTable('api_keys').set({ last_used_at_ms: at }).where('id', '=', id).execute();
  }
}
