/**
 * Migration 005 (src/store/migrations/005-encounter-items.ts) on a database written before it: every encounter gets
 * the item the import would have written for it, across more than one batch of the migration's walk, demo,
 * training and unavailable encounters included (a detail still checks them, and they may become listable).
 */
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLines, type SourceLine } from '../../../src/import/importer.js';
import type { AudioStorage } from '../../../src/media/storage.js';
import { up } from '../../../src/store/migrations/005-encounter-items.js';
import { useMigratedStore } from '../../support/database.js';

const NO_STORAGE = {} as AudioStorage; // no recordings are imported here
const ENCOUNTERS = 1100;

describe('migration 005: stored encounter items', () => {
  const scratch = useMigratedStore('charthero-items-migration-');
  let imported: unknown[];

  beforeAll(async () => {
    const records: object[] = [{ type: 'organization', id: 'org_1', name: 'One' }];
    for (let p = 0; p < 40; p++) {
      records.push({ type: 'patient', id: `pat_${p}`, organization_id: 'org_1', first_name: `P${p}`, last_name: 'L' });
    }
    for (let n = 0; n < ENCOUNTERS; n++) {
      const id = `enc_${String(n).padStart(4, '0')}`;
      records.push({
        type: 'encounter',
        id,
        organization_id: 'org_1',
        patient_id: `pat_${n % 40}`,
        encounter_type: 'ambient',
        status: 'completed',
        origin: ['clinical', 'demo', 'training'][n % 3],
        available: n % 7 !== 0,
        created_at: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
        updated_at: '2026-05-25T14:00:00Z',
      });
      if (n % 2 === 0) {
        records.push({
          type: 'document',
          id: `doc_${n}`,
          encounter_id: id,
          schema_type: 'document',
          title: `Note ${n}`,
          available: n % 4 === 0,
          content: { format: 'markdown', text: 'x' },
          created_at: '2026-05-25T14:00:00Z',
          updated_at: '2026-05-25T14:00:00Z',
        });
      }
    }
    async function* lines(): AsyncGenerator<SourceLine> {
      for (const [index, record] of records.entries()) yield { line: index + 1, text: JSON.stringify(record) };
    }
    await importLines(scratch.store.db, NO_STORAGE, lines(), scratch.dir);
    imported = await scratch.store.db.selectFrom('encounter_items').selectAll().orderBy('encounter_id').execute();
    // The database as it was before migration 005.
    await scratch.store.db.schema.dropTable('encounter_items').execute();
    await scratch.store.db.schema.dropIndex('encounters_patient').execute();
  });

  it('writes the item the import writes, for every encounter', async () => {
    expect(imported).toHaveLength(ENCOUNTERS);
    await up(scratch.store.db as unknown as Kysely<unknown>, scratch.store.dialect);
    const migrated = await scratch.store.db.selectFrom('encounter_items').selectAll().orderBy('encounter_id').execute();
    expect(migrated).toEqual(imported);
    const { rows } = await sql<{ count: number | string }>`select count(*) as count from encounter_items`.execute(
      scratch.store.db,
    );
    expect(Number(rows[0]!.count)).toBe(ENCOUNTERS);
  });

  it('finishes a run interrupted after some items (SQLite migrates step by step, not in one transaction)', async () => {
    await scratch.store.db.deleteFrom('encounter_items').where('encounter_id', '>', 'enc_0500').execute();
    await scratch.store.db.updateTable('encounter_items').set({ item: 'partial', version: 0 }).execute();
    await up(scratch.store.db as unknown as Kysely<unknown>, scratch.store.dialect);
    const migrated = await scratch.store.db.selectFrom('encounter_items').selectAll().orderBy('encounter_id').execute();
    expect(migrated).toEqual(imported);
  });
});
