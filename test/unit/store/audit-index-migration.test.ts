/**
 * Migration 006 (src/store/migrations/006-audit-without-organization-index.ts): the audit ledger's organization
 * index, which every disclosure's commit paid for, is gone from a migrated database and from one created before it;
 * running the migration on a database that no longer has it changes nothing.
 */
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { up } from '../../../src/store/migrations/006-audit-without-organization-index.js';
import { useMigratedStore } from '../../support/database.js';

const INDEX = 'audit_events_organization';

/** Dropping an index that is not there fails on both databases: the test's way of asking whether it exists. */
async function hasIndex(db: Kysely<unknown>): Promise<boolean> {
  try {
    await db.schema.dropIndex(INDEX).execute();
  } catch {
    return false;
  }
  throw new Error(`${INDEX} was still there (the check dropped it)`);
}

describe('migration 006: the audit ledger without its organization index', () => {
  const scratch = useMigratedStore('charthero-audit-index-');

  it('drops the index a database created before it still has, and is a no-op on one without it', async () => {
    const db = scratch.store.db as Kysely<unknown>;
    expect(await hasIndex(db)).toBe(false);
    // The index as migration 001 created it.
    await db.schema.createIndex(INDEX).on('audit_events').columns(['organization_id', 'at_ms']).execute();
    await up(db);
    expect(await hasIndex(db)).toBe(false);
    await expect(up(db)).resolves.toBeUndefined();
  });
});
